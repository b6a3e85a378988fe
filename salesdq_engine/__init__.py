"""The embedded AWS engine: moto 5.2.5, plus exactly what moto lacks to run salesdq as AWS would.

A package of its own beside salesdq: the product's command line imports it only for `salesdq local ...`, and it
depends on the product only for the resource spec (salesdq.resources) it provisions from and the functions'
configuration names (services.runtime.config). additions.py is the registry of what it changes in moto, and
refuses (MotoVersionError, on import and on start) a moto other than the one they were checked against.

The additions, each in the module of the service it extends, each tested in tests/engine/functional/
test_<module>.py twice (moto's own behaviour, then the engine's), so a test fails if moto changes under it:
1. lambda_runtime: moto without Docker echoes the payload; here any function created through the Lambda API
   runs its real handler module, in execution environments cold-started under the function's environment
   variables (one invocation at a time each, kept warm), with a context object and stdout routed to
   per-function log files; beyond its reserved concurrency, a 429 TooManyRequestsException; past its
   configured timeout, stopped at its next AWS call (or its return) as Sandbox.Timedout.
2. eventbridge: a rule whose target is a state machine raises NotImplementedError inside moto; here the
   rule's own pattern decides and the target starts an execution with the event as input.
3. sqs: SendMessage builds every queue attribute (O(queue length)) just to read one; here it reads one.
4. stepfunctions: moto checks a state's output against the 256 KiB limit but not its input; here a state
   whose input exceeds it fails with States.DataLimitExceeded, as on AWS.
5. dynamodb: a Query sorts every item of the table to find one partition; here it reads that partition.
6. dynamodb: building an item re-measures every attribute stored so far as each is added (O(attributes^2));
   here the item is measured once, against the same limit.
7. dynamodb: a conditional write is read-check-store with no lock; here writes run one at a time, atomic per
   item as on DynamoDB (the slot leases depend on it).
8. sqs: ReceiveMessage walks every message of the queue (and builds every queue attribute, counting them, three
   times per message returned); here an ordered store with a heap of visible and one of hidden messages gives
   the same messages in the same order, touching only those returned and those whose hold ended.
9. sqs: DeleteMessage and ChangeMessageVisibility (and their batches) scan the queue for the receipt handle;
   here an index from every handle a message had to the message, kept across receives, deletes, redrives and
   purges.
10. dynamodb: each Scan page sorts the whole table and walks it up to the ExclusiveStartKey; here the sorted
   items are kept until a write, and a page starts where the last ended (moto's loop, limits and filters).
11. dynamodb: a reply's AttributeValues go through moto's generic serializer, which looks each of the ten
   members of every value up through its alias rules (about 1 ms an item of a Scan page); here functions
   built once from the same botocore shape encode them, giving the same reply byte for byte.
12. dynamodb: an attribute's size (asked of every item twice per Scan or Query page, and of every write)
   costs a method call per type test and a new DynamoType per map entry; here one function applies moto's
   rules in moto's order to the stored value, giving the same number.
13. dynamodb: a Scan or Query page deep-copies every item it returns and measures each twice; here the page
   is built under the write lock until its reply holds plain values, so nothing is copied and each item is
   measured once: the same reply.
14. dynamodb: turning a reply's DynamoTypes into plain values asks five questions of every node, a string
   included; here the node's exact type decides first (the rest goes to moto's function): the same values.
15. dynamodb: a projection converts the whole item to Python values once per projected path; here each
   path converts only the attribute it starts from: the same projected item.
16. dynamodb: botocore's JSON parser walks all ten members of every AttributeValue of a reply; here, for a
   reply read outside any Lambda invocation (the engine's own readers), functions built once from the same
   shape decode them: the same parsed reply. A handler keeps botocore's parser, whose cost it pays on AWS.
17. stepfunctions: moto ignores a Distributed Map's ToleratedFailureCount and ToleratedFailurePercentage and
   reports a Map Run with a failed child as succeeded; here the Map Run, once its children ended, fails with
   States.ExceedToleratedFailureThreshold when its failed and timed-out items exceed the tolerance (0 when
   none is given, as on AWS), so the Map state's Catch sees it.
18. s3: moto gives every object write's EventBridge event the same `id`, `detail.object.sequencer` and
   `detail.request-id`; here each write's event has its own, its sequencer ordering the writes to a key (hex,
   increasing), as on AWS, and every delivery of it (a duplicate one included) carries the same: a
   redelivery can be told from a second upload of the same bytes.
Beside them:
- faults: fault injection at the API boundary (FaultPlan, parse_faults): throttles, crashes, timeouts, lost
  replies, unprocessed batch entries, S3 errors and duplicate EventBridge deliveries, in each service's own
  error protocol, on Lambda functions' invocations and requests and on EventBridge deliveries (never on a
  request from outside an invocation); Engine.faults counts them.
- stepfunctions: retry_wait_scale, a test-speed setting that shortens every Retry wait (1.0: faithful).
- process: while an engine runs, a longer GIL switch interval and rarer garbage collections (every table
  lives in its one heap; a Lambda's process on AWS holds only its own objects); both restored on stop.
- metering: billable units of requests, Lambda invocations and state transitions, and their prices.
- request_hooks: the chain of hooks at moto's request boundary that the Lambda runtime (its stops), fault
  injection and metering plug into, outermost first.
- call_record: with SALESDQ_RECORD_CALLS=<file>, each principal's calls (a function's invocation, the state
  machine, the EventBridge rule's target) as IAM action and resource ARN, for tests/iam; unset, not installed.
- provisioning: salesdq's stack, from salesdq.resources, through ordinary boto3 calls.
- errors: EngineError, what the engine raises when it cannot do what was asked.
- additions: the registry of the additions above (their modules, in the order applied) and the moto version
  they were checked against.
- lifecycle: Engine, which installs the additions, starts and stops moto's mock, provisions, and with a
  port serves every backend over HTTP (`salesdq local up`). Its stop halts what it was doing (running
  executions stopped, Lambda invocations in flight stopped at their next AWS call, and waited for): moto's
  backends are process-wide, so left running they would write into the next engine's stores.
"""

from __future__ import annotations

from salesdq_engine.additions import MOTO_VERSION, check_moto
from salesdq_engine.errors import EngineError, MotoVersionError

# Before any of moto's internals are imported: on another moto they may have moved, and the one line of
# MotoVersionError says why better than a traceback from inside moto.
check_moto()

from salesdq_engine.faults import FAULT_NAMES, FaultPlan, Faults, FaultSpecError, parse_faults  # noqa: E402
from salesdq_engine.lifecycle import Engine  # noqa: E402

__all__ = [
    "FAULT_NAMES",
    "MOTO_VERSION",
    "Engine",
    "EngineError",
    "FaultPlan",
    "FaultSpecError",
    "Faults",
    "MotoVersionError",
    "check_moto",
    "parse_faults",
]
