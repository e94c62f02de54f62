#!/usr/bin/python3
"""Check config/sslplug.schema.json for tests/test_schema.c.

Uses the jsonschema package (Debian's python3-jsonschema, installed by
.ci/deps) and its Draft202012Validator.  Subcommands, each exiting 0 on
success and 1 with a reason per line otherwise:

  schema SCHEMA          the schema is valid draft 2020-12 (check_schema), has
                         $id and title, and every key it describes has a
                         title and a description (its own or its $ref's)
  valid SCHEMA ROOT      every shipped configuration under the source tree
                         ROOT validates; prints "ok FILE" per file
  reject SCHEMA FILE...  the schema rejects every FILE; prints
                         "rejected FILE: reason" per file
  keys SCHEMA LOC...     for each object location LOC, a JSON pointer into a
                         configuration where "*" stands for any member name
                         ("", "/context", "/contexts/*", "/callbacks/info"),
                         prints "keys<TAB>LOC<TAB>KEY KEY ..." with the keys
                         the schema describes there; the object must be
                         closed (additionalProperties or
                         unevaluatedProperties false)
"""
import glob
import json
import os
import sys

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

# What "shipped configuration" means, relative to the source tree.
SHIPPED = [
    "config/**/*.json",
    "plugins/*/example.json",
    "examples/**/*.json",
    "tests/config/valid/*/config.json",
]


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class Schema:
    def __init__(self, path):
        self.path = os.path.abspath(path)
        self.root = load(path)

    def deref(self, ref):
        if not ref.startswith("#/"):
            raise ValueError("only local $refs are supported: " + ref)
        node = self.root
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def parts(self, node):
        """The subschemas that together describe an object at node: node, its
        $ref chain, and the object alternatives of oneOf/anyOf."""
        if not isinstance(node, dict):
            return []
        out = [node]
        if "$ref" in node:
            out += self.parts(self.deref(node["$ref"]))
        for key in ("oneOf", "anyOf"):
            for alt in node.get(key, []):
                alt_parts = self.parts(alt)
                if any(p.get("type") == "object" for p in alt_parts):
                    out += alt_parts
        return out

    def properties(self, node):
        props = {}
        for p in self.parts(node):
            for k, v in p.get("properties", {}).items():
                props.setdefault(k, v)
        return props

    def closed(self, node):
        return any(
            p.get("additionalProperties") is False or p.get("unevaluatedProperties") is False
            for p in self.parts(node)
        )

    def members(self, node):
        for p in self.parts(node):
            if isinstance(p.get("additionalProperties"), dict):
                return p["additionalProperties"]
        return None

    def at(self, location):
        node = self.root
        for seg in location.split("/")[1:] if location else []:
            nxt = self.members(node) if seg == "*" else self.properties(node).get(seg)
            if nxt is None:
                raise KeyError(f"{location!r}: the schema describes no {seg!r}")
            node = nxt
        return node

    def annotated(self, node, attr):
        """node, or the schema its $ref names, carries attr."""
        return attr in node or ("$ref" in node and attr in self.deref(node["$ref"]))

    def untitled(self, node, where, seen):
        """Keys under node (recursively) without a title or a description."""
        out = []
        if id(node) in seen:
            return out
        seen.add(id(node))
        for key, sub in self.properties(node).items():
            here = f"{where}/{key}"
            for attr in ("title", "description"):
                if not self.annotated(sub, attr):
                    out.append(f"{here}: no {attr}")
            out += self.untitled(sub, here, seen)
        members = self.members(node)
        if members is not None:
            out += self.untitled(members, where + "/*", seen)
        return out


def cmd_schema(schema):
    errors = []
    try:
        Draft202012Validator.check_schema(schema.root)
    except Exception as e:  # SchemaError, with its own message
        errors.append(f"not a valid draft 2020-12 schema: {e}")
    if schema.root.get("$schema") != "https://json-schema.org/draft/2020-12/schema":
        errors.append("$schema is not draft 2020-12")
    for attr in ("$id", "title", "description"):
        if not isinstance(schema.root.get(attr), str) or not schema.root[attr]:
            errors.append(f"no {attr}")
    errors += schema.untitled(schema.root, "", set())
    return errors


def cmd_valid(schema, root):
    validator = Draft202012Validator(schema.root)
    files = set()
    for pattern in SHIPPED:
        files.update(map(os.path.abspath, glob.glob(os.path.join(root, pattern), recursive=True)))
    files.discard(schema.path)
    errors = [] if files else [f"no shipped configuration found under {root}"]
    for path in sorted(files):
        rel = os.path.relpath(path, root)
        try:
            problems = [
                f"/{'/'.join(map(str, e.absolute_path))}: {e.message}"
                for e in validator.iter_errors(load(path))
            ]
        except (OSError, ValueError) as e:
            problems = [f"cannot read: {e}"]
        if problems:
            errors.append(f"{rel}: " + "; ".join(problems))
        else:
            print("ok", rel)
    return errors


def cmd_reject(schema, paths):
    validator = Draft202012Validator(schema.root)
    errors = []
    for path in paths:
        try:
            best = best_match(validator.iter_errors(load(path)))
        except (OSError, ValueError) as e:
            errors.append(f"{path}: cannot read as JSON: {e}")
            continue
        if best is None:
            errors.append(f"{path}: accepted, but the parser refuses it")
        else:
            print(f"rejected {path}: /{'/'.join(map(str, best.absolute_path))}: {best.message}")
    return errors


def cmd_keys(schema, locations):
    errors = []
    for loc in locations:
        try:
            node = schema.at(loc)
        except KeyError as e:
            errors.append(str(e.args[0]))
            continue
        if not schema.closed(node):
            errors.append(f"{loc!r}: the object is open: unknown keys would validate")
        print(f"keys\t{loc}\t{' '.join(sorted(schema.properties(node)))}")
    return errors


def main(argv):
    if len(argv) < 3 or argv[1] not in ("schema", "valid", "reject", "keys"):
        print(__doc__, file=sys.stderr)
        return 2
    schema = Schema(argv[2])
    if argv[1] == "schema":
        errors = cmd_schema(schema)
    elif argv[1] == "valid":
        errors = cmd_valid(schema, argv[3] if len(argv) > 3 else ".")
    elif argv[1] == "reject":
        errors = cmd_reject(schema, argv[3:])
    else:
        errors = cmd_keys(schema, argv[3:])
    for e in errors:
        print("FAIL", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
