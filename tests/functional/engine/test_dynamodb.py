"""DynamoDB: moto walks the table for a Query, re-measures an item per attribute and races conditional writes;
the engine reads one partition, measures once and writes atomically. Each script runs in a fresh process,
with moto alone or with salesdq.engine.dynamodb installed."""

from __future__ import annotations

import json
import subprocess
import sys

from salesdq.engine import dynamodb

_HASH_TABLE = """    ddb = boto3.client("dynamodb", region_name="us-east-1")
    ddb.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])"""


def _run(script: str, engine: bool) -> str:
    """What a script printed last, with moto alone or with the addition installed where it says {install}."""
    setup = "from salesdq.engine.dynamodb import install\ninstall()" if engine else ""
    result = subprocess.run(
        [sys.executable, "-c", script.format(install=setup, table=_HASH_TABLE)],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


# ------------------------------------------------------------------ DynamoDB Query reads one partition

_QUERY_WALK = """
import boto3
from moto import mock_aws
from moto.dynamodb.models.table import Table
walked = []
original = Table.all_items
def counting(self):
    items = original(self)
    walked.append(len(items))
    return items
Table.all_items = counting
{install}
with mock_aws():
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    ddb.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{{"AttributeName": "pk", "KeyType": "HASH"}}, {{"AttributeName": "sk", "KeyType": "RANGE"}}],
        AttributeDefinitions=[{{"AttributeName": "pk", "AttributeType": "S"}},
                              {{"AttributeName": "sk", "AttributeType": "S"}}])
    for i in range(300):
        ddb.put_item(TableName="t", Item={{"pk": {{"S": f"p{{i % 30}}"}}, "sk": {{"S": f"{{i:04d}}"}}}})
    found = ddb.query(TableName="t", KeyConditionExpression="pk = :p",
                      ExpressionAttributeValues={{":p": {{"S": "p7"}}}})
    print([item["sk"]["S"] for item in found["Items"]], max(walked, default=0))
"""


def _query_walk(engine: bool) -> tuple[list[str], int]:
    keys, walked = _run(_QUERY_WALK, engine).rsplit(" ", 1)
    return json.loads(keys.replace("'", '"')), int(walked)


def test_moto_alone_walks_the_whole_table_to_query_one_partition():
    keys, walked = _query_walk(engine=False)
    assert keys == [f"{i:04d}" for i in range(7, 300, 30)]
    assert walked == 300  # every item of the table, for 10 of one partition


def test_engine_queries_read_only_their_partition():
    keys, walked = _query_walk(engine=True)
    assert keys == [f"{i:04d}" for i in range(7, 300, 30)]  # same answer, in range-key order
    assert walked == 0  # the table was never walked


# ------------------------------------------------------------------ DynamoDB measures an item once

_ITEM_BUILD = """
import json
import boto3
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models.dynamo_type import DynamoType
measured = [0]
original = DynamoType.size
def counting(self):
    measured[0] += 1
    return original(self)
DynamoType.size = counting
{install}
with mock_aws():
{table}
    ddb.put_item(TableName="t", Item={{"pk": {{"S": "w"}}, **{{f"a{{i}}": {{"S": "x"}} for i in range(200)}}}})
    sizes = measured[0]
    outcomes = []
    for n in (404_996, 404_997):  # the item's size: len("pk") + len("k") + len("v") + n
        try:
            ddb.put_item(TableName="t", Item={{"pk": {{"S": "k"}}, "v": {{"S": "x" * n}}}})
            outcomes.append("stored")
        except ClientError as error:
            outcomes.append(error.response["Error"]["Message"])
    print(json.dumps([sizes, outcomes]))
"""


def _item_build(engine: bool) -> tuple[int, list[str]]:
    sizes, outcomes = json.loads(_run(_ITEM_BUILD, engine))
    return sizes, outcomes


LIMIT_OUTCOMES = ["stored", "Item size has exceeded the maximum allowed size"]


def test_moto_alone_re_measures_an_item_for_every_attribute_it_adds():
    sizes, outcomes = _item_build(engine=False)
    assert sizes > 200 * 201 // 2  # each attribute added measures all before it: quadratic
    assert outcomes == LIMIT_OUTCOMES  # and refuses an item over 405,000 bytes (dynamodb.MOTO_ITEM_LIMIT_BYTES)


def test_engine_measures_an_item_once_and_refuses_the_same_items():
    sizes, outcomes = _item_build(engine=True)
    assert sizes < 2 * 201  # each attribute once, plus the key checks
    assert outcomes == LIMIT_OUTCOMES
    assert dynamodb.MOTO_ITEM_LIMIT_BYTES == 404_996 + 4


# ------------------------------------------------------------------ DynamoDB conditional writes are atomic

_RACE = """
import json, threading, time
import boto3
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models.table import Table
original = Table.get_item
def slow_read(self, *args, **kwargs):
    found = original(self, *args, **kwargs)
    time.sleep(0.05)  # between the condition's read and the write: another thread runs here
    return found
Table.get_item = slow_read
{install}
with mock_aws():
{table}
    outcomes = []
    def take(holder):
        try:
            ddb.put_item(TableName="t", Item={{"pk": {{"S": "slot"}}, "holder": {{"S": holder}}}},
                         ConditionExpression="attribute_not_exists(pk)")
            outcomes.append("taken")
        except ClientError as error:
            outcomes.append(error.response["Error"]["Code"])
    threads = [threading.Thread(target=take, args=(h,)) for h in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps(sorted(outcomes)))
"""


def _race(engine: bool) -> list[str]:
    return json.loads(_run(_RACE, engine))


def test_moto_alone_lets_two_conditional_puts_of_one_new_key_both_succeed():
    assert _race(engine=False) == ["taken", "taken"]  # both read "no item", both stored: the second overwrote the first


def test_engine_lets_one_conditional_put_succeed_and_fails_the_other():
    outcomes = _race(engine=True)
    assert outcomes == ["ConditionalCheckFailedException", "taken"]
