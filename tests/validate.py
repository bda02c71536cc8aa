#!/usr/bin/env python3
"""Validates a report against an official schema, for tests/formats.rs.

usage: validate.py sarif|junit|report FILE

sarif:  the OASIS SARIF 2.1.0 JSON Schema (draft-04) in testdata/schemas/
junit:  the Apache Ant JUnit XSD in testdata/schemas/ (copies of ../shared/schemas/, sources in its README)
report: docs/report.schema.json (the -o json envelope, draft 2020-12)

Needs the PyPI packages jsonschema and xmlschema (.ci/run installs them).
Exit 0 valid, 1 invalid (the first errors on stderr), 2 usage.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SCHEMAS = os.environ.get("SCHEMAS_DIR", os.path.join(REPO, "testdata", "schemas"))


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    kind, path = sys.argv[1], sys.argv[2]
    if kind == "junit":
        import xmlschema

        schema = xmlschema.XMLSchema(os.path.join(SCHEMAS, "JUnit.xsd"))
        errors = list(schema.iter_errors(path))
    elif kind in ("sarif", "report"):
        import jsonschema

        if kind == "sarif":
            with open(os.path.join(SCHEMAS, "sarif-schema-2.1.0.json")) as f:
                schema = json.load(f)
            validator = jsonschema.Draft4Validator(schema)
        else:
            with open(os.path.join(REPO, "docs", "report.schema.json")) as f:
                schema = json.load(f)
            validator = jsonschema.Draft202012Validator(schema)
        with open(path) as f:
            doc = json.load(f)
        errors = list(validator.iter_errors(doc))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    for e in errors[:5]:
        print(f"{path}: {e}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
