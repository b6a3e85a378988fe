"""Finalize handler: the file's chunk outcomes -> its summary event and metrics (published by RecordRunFailure
instead when Finalize died after its summary event, the run's commit point: services/ingest/finalize.py).

Metrics (namespace POWERTOOLS_METRICS_NAMESPACE, dimension `service` = POWERTOOLS_SERVICE_NAME, which Powertools
adds to every metric; cdk/capabilities/monitoring.py alarms and graphs exactly these):
- `QualityScore` (Percent): the file's score at arrival, (stored + duplicates) / records, times 100.
- `RuleFailures` (Count), one data point per rule that failed at least one record, with the dimension `rule`.
  Rules are the contract's closed vocabulary (services.domain.contract.Rule, eleven names), so `rule` x `service`
  stays a handful of metrics whatever the files hold; nothing a user controls (a file name, a field) is ever a
  dimension, since every distinct dimension value is a metric billed monthly.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from services.contract.published import Contracts
from services.dal import stores_from
from services.domain.payloads import FileRun
from services.ingest.finalize import finalize
from services.runtime import config, observability

CONFIG = config.load()
STORES = stores_from(CONFIG)
CONTRACTS = Contracts(STORES.contracts)  # the run's contract judges the file by its file-level rules
obs = observability.setup()


@obs.handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    staged = FileRun.from_payload(event)
    summary = finalize(staged, STORES.audit, CONTRACTS.of(staged.run.contract))
    obs.file_completed(summary)
    # A replay's summary says so (None: not one): the workflow then sweeps the quarantine queue of the records it
    # resolved.
    return summary | {"replay_of": staged.run.to_payload()["replay_of"]}
