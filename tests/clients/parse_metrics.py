"""Reads a Prometheus text exposition on stdin and prints its samples as
JSON, one list per sample: [name, {label: value}, value]. Parsed by
prometheus_client, the Prometheus project's own Python client (pinned in
tds-test-server/tests/clients/requirements.txt); a malformed exposition
fails here with its error."""

import json
import sys

from prometheus_client.parser import text_string_to_metric_families

samples = []
for family in text_string_to_metric_families(sys.stdin.read()):
    for sample in family.samples:
        samples.append([sample.name, sample.labels, sample.value])
json.dump(samples, sys.stdout)
