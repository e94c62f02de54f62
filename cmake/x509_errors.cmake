# Generate x509_errors.inc from OpenSSL's x509_vfy.h: one {"NAME", NAME},
# line per X509_V_OK/X509_V_ERR_* code.  Run with -DHEADER=... -DOUTPUT=...
file(STRINGS ${HEADER} lines REGEX "^# *define X509_V_(OK|ERR_[A-Z0-9_]+) +[0-9]+")
set(body "")
foreach(line ${lines})
  string(REGEX REPLACE "^# *define (X509_V_[A-Z0-9_]+).*" "\\1" name "${line}")
  string(APPEND body "    {\"${name}\", ${name}},\n")
endforeach()
file(WRITE ${OUTPUT}.tmp "${body}")
file(COPY_FILE ${OUTPUT}.tmp ${OUTPUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUTPUT}.tmp)
