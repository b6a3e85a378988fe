"""DynamoDB: moto walks the table for a Query, re-measures an item per attribute and races conditional writes;
the engine reads one partition, measures once and writes atomically. Each script runs in a fresh process,
with moto alone or with salesdq_engine.dynamodb installed."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from salesdq_engine import dynamodb

_HASH_TABLE = """    ddb = boto3.client("dynamodb", region_name="us-east-1")
    ddb.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])"""


def _run(script: str, engine: bool) -> str:
    """What a script printed last, with moto alone or with the addition installed where it says {install}."""
    setup = "from salesdq_engine.dynamodb import install\ninstall()" if engine else ""
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
import base64
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


# ------------------------------------------------------------------ DynamoDB Scan pages in O(page)

_SCAN = """
import base64
import json
import boto3
from moto import mock_aws
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import Table
walked = [0]
within = Item.is_within_segment
def counting(self, segments):
    walked[0] += 1  # moto's scan loop asks this of every item it walks
    return within(self, segments)
Item.is_within_segment = counting
before = Table._item_comes_before_dct
def comparing(self, *args):
    walked[0] += 1
    return before(self, *args)
Table._item_comes_before_dct = comparing
{install}
def pages(ddb, **kwargs):
    out, start = [], None
    while True:
        page = ddb.scan(**kwargs, **({{"ExclusiveStartKey": start}} if start else {{}}))
        out.append([page.get("Items"), page["Count"], page["ScannedCount"], page.get("LastEvaluatedKey")])
        start = page.get("LastEvaluatedKey")
        if not start:
            return out
with mock_aws():
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    ddb.create_table(TableName="h", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{{"AttributeName": "pk", "KeyType": "HASH"}}],
        AttributeDefinitions=[{{"AttributeName": "pk", "AttributeType": "S"}}])
    ddb.create_table(TableName="r", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{{"AttributeName": "pk", "KeyType": "HASH"}}, {{"AttributeName": "sk", "KeyType": "RANGE"}}],
        AttributeDefinitions=[{{"AttributeName": "pk", "AttributeType": "S"}},
                              {{"AttributeName": "sk", "AttributeType": "N"}},
                              {{"AttributeName": "g", "AttributeType": "S"}}],
        GlobalSecondaryIndexes=[{{"IndexName": "byg", "KeySchema": [{{"AttributeName": "g", "KeyType": "HASH"}}],
                                 "Projection": {{"ProjectionType": "ALL"}}}}])
    for i in range(120):
        ddb.put_item(TableName="h", Item={{"pk": {{"S": f"k{{(i * 37) % 120:03d}}"}}, "n": {{"N": str(i)}},
                                           "tag": {{"S": "even" if i % 2 == 0 else "odd"}},
                                           "m": {{"M": {{"x": {{"L": [{{"N": "1"}}]}}}}}}}})
        ddb.put_item(TableName="r", Item={{"pk": {{"S": f"p{{i % 7}}"}}, "sk": {{"N": str(i * 3 % 50 - 20)}},
                                           "g": {{"S": f"g{{i % 3}}"}}, "pad": {{"S": "x" * (i * 311 % 900)}}}})
    for i in range(12):  # items of 100 KB: pages end at 1 MB
        ddb.put_item(TableName="h", Item={{"pk": {{"S": f"big{{i:02d}}"}}, "blob": {{"B": bytes([i]) * 100_000}}}})
    out = {{}}
    for table in ("h", "r"):
        out[table] = {{
            "all": pages(ddb, TableName=table),
            "limit": pages(ddb, TableName=table, Limit=7),
            "filter": pages(ddb, TableName=table, Limit=9, FilterExpression="attribute_exists(tag) AND tag = :t",
                            ExpressionAttributeValues={{":t": {{"S": "odd"}}}}),
            "projection": pages(ddb, TableName=table, Limit=11, ProjectionExpression="pk, #n",
                                ExpressionAttributeNames={{"#n": "n"}}),
            "count": pages(ddb, TableName=table, Limit=13, Select="COUNT"),
            "legacy": pages(ddb, TableName=table, Limit=5, ScanFilter={{"pk": {{"ComparisonOperator": "BEGINS_WITH",
                            "AttributeValueList": [{{"S": "k0"}}]}}}}),
            "segment": pages(ddb, TableName=table, Limit=6, Segment=1, TotalSegments=3),
        }}
    out["index"] = pages(ddb, TableName="r", IndexName="byg", Limit=8)
    # writes between pages: items added before and after the start key, the start key's own item deleted
    first = ddb.scan(TableName="r", Limit=10)
    start = first["LastEvaluatedKey"]
    ddb.put_item(TableName="r", Item={{"pk": {{"S": "p0"}}, "sk": {{"N": "-99"}}}})
    ddb.put_item(TableName="r", Item={{"pk": {{"S": "p9"}}, "sk": {{"N": "1"}}}})
    ddb.put_item(TableName="r", Item={{"pk": start["pk"], "sk": {{"N": "999"}}}})
    ddb.delete_item(TableName="r", Key=start)
    ddb.update_item(TableName="r", Key={{"pk": {{"S": "p6"}}, "sk": {{"N": "28"}}}}, UpdateExpression="SET u = :u",
                    ExpressionAttributeValues={{":u": {{"S": "new"}}}})
    rest, key = [], start
    while key:
        page = ddb.scan(TableName="r", Limit=10, ExclusiveStartKey=key)
        rest.append([page["Items"], page["ScannedCount"]])
        key = page.get("LastEvaluatedKey")
    out["between"] = [first["Items"], start, rest]
    # the work of the last page of a table of n items, 10 a page
    for n in ({small}, {large}):
        ddb.create_table(TableName=f"t{{n}}", BillingMode="PAY_PER_REQUEST",
            KeySchema=[{{"AttributeName": "pk", "KeyType": "HASH"}}],
            AttributeDefinitions=[{{"AttributeName": "pk", "AttributeType": "S"}}])
        for i in range(n):
            ddb.put_item(TableName=f"t{{n}}", Item={{"pk": {{"S": f"{{i:06d}}"}}}})
        ddb.scan(TableName=f"t{{n}}", Limit=10)  # sorts the table once
        walked[0] = 0
        page = ddb.scan(TableName=f"t{{n}}", Limit=10, ExclusiveStartKey={{"pk": {{"S": f"{{n - 21:06d}}"}}}})
        out[f"walked{{n}}"] = [walked[0], [i["pk"]["S"] for i in page["Items"]]]
print(json.dumps(out, default=str))
"""


def _scan(engine: bool, small: int = 100, large: int = 1000) -> dict[str, Any]:
    return json.loads(_run(_SCAN.replace("{small}", str(small)).replace("{large}", str(large)), engine))


def test_engine_scan_pages_are_moto_s_pages():
    moto_alone, engine = _scan(engine=False), _scan(engine=True)
    for key in ("walked100", "walked1000"):
        assert engine.pop(key)[1] == moto_alone.pop(key)[1]
    assert engine == moto_alone
    # the cases are real: several pages each, the 1 MB bound reached, the writes between pages seen
    assert len(moto_alone["h"]["all"]) >= 2 and len(moto_alone["r"]["limit"]) > 10
    assert any(page[2] > page[1] for page in moto_alone["h"]["filter"])  # the filter dropped scanned items
    later = [item for page, _ in moto_alone["between"][2] for item in page]
    assert {"pk": {"S": "p9"}, "sk": {"N": "1"}} in later and {"S": "new"} in [i.get("u") for i in later]


def test_moto_alone_walks_the_table_up_to_the_start_key_for_each_page():
    counts = _scan(engine=False)
    assert counts["walked1000"][0] > 900 and counts["walked100"][0] > 90  # every item before the page too


def test_engine_scan_page_walks_only_the_page():
    counts = _scan(engine=True)
    assert counts["walked100"][1] == [f"{i:06d}" for i in range(80, 90)]
    small, large = counts["walked100"][0], counts["walked1000"][0]
    assert small <= 11 + 8 and large <= 11 + 11  # the page and one more, plus a binary search for the start
    assert large - small <= 4  # ten times the table: a few more comparisons, no more items


def test_moto_scan_internals_the_engine_relies_on_keep_their_shape():
    import inspect

    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    parameters = list(inspect.signature(dynamodb._original_table_scan).parameters)
    assert parameters[:6] == ["self", "filters", "limit", "exclusive_start_key", "filter_expression", "index_name"]
    source = inspect.getsource(dynamodb._original_table_scan)
    assert "items = self.all_items()" in source and "for item in items:" in source  # the one read, walked once
    assert "self._item_comes_before_dct(" in source and "processing_previous_page" in source
    assert "filter_expression_op,\n            index_name," in inspect.getsource(DynamoDBBackend.scan)
    assert list(inspect.signature(Table._item_comes_before_dct).parameters)[1:] == [
        "item",
        "dct",
        "hash_key_attrs",
        "range_key_attrs",
        "scan_index_forward",
    ]
    # the key set of a table changes only through put_item and delete_item (and a restore, a new table)
    # moto's own methods, whether or not the engine (installed by an earlier test) has replaced two of them
    moto = vars(Table) | {"put_item": dynamodb._original_put_item, "delete_item": dynamodb._original_delete_item}
    writes = {
        name
        for name, method in moto.items()
        if callable(method) and re.search(r"self\.items(\[\w+\])*(\.pop\(| = )", inspect.getsource(method))
    }
    assert writes == {"__init__", "put_item", "delete_item"}  # a restore builds a new table (its own items)


# ------------------------------------------------------------------ replies: AttributeValues encoded from the shape

_names = st.text(alphabet="abcxyzé_-.0", min_size=1, max_size=4)
# numbers DynamoDB can hold: 38 significant digits at most
_numbers = st.decimals(min_value=-(10**34), max_value=10**34, places=3).map(str)
_scalars = st.one_of(
    st.builds(lambda s: {"S": s}, st.text(max_size=6)),
    st.builds(lambda n: {"N": n}, _numbers),
    st.builds(lambda b: {"B": b}, st.binary(max_size=6)),
    st.builds(lambda ss: {"SS": ss}, st.lists(st.text(max_size=4), min_size=1, max_size=3, unique=True)),
    st.builds(lambda ns: {"NS": ns}, st.lists(_numbers, min_size=1, max_size=3, unique=True)),
    st.builds(lambda bs: {"BS": bs}, st.lists(st.binary(max_size=4), min_size=1, max_size=3, unique=True)),
    st.just({"NULL": True}),
    st.builds(lambda b: {"BOOL": b}, st.booleans()),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.builds(lambda m: {"M": m}, st.dictionaries(_names, inner, max_size=3)),
        st.builds(lambda items: {"L": items}, st.lists(inner, max_size=3)),
    ),
    max_leaves=12,
)
_items = st.dictionaries(_names, _values, min_size=1, max_size=5)


def _replies(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """What moto's handlers hand the serializer for these items (DynamoResult turns stored DynamoTypes into
    dicts), per operation."""
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.responses import DynamoResult

    stored = [{name: DynamoType(value) for name, value in item.items()} for item in items]
    capacity = {"TableName": "t", "CapacityUnits": 1.5}
    results = {
        "Scan": {"Items": stored, "Count": len(stored), "ScannedCount": 9, "LastEvaluatedKey": stored[-1]},
        "Query": {"Items": stored, "Count": len(stored), "ScannedCount": len(stored), "ConsumedCapacity": capacity},
        "GetItem": {"Item": stored[0], "ConsumedCapacity": capacity},
        "BatchGetItem": {"Responses": {"t": stored, "u": stored[:1]}, "UnprocessedKeys": {}},
        "UpdateItem": {"Attributes": stored[0]},
    }
    return {operation: DynamoResult(result).result for operation, result in results.items()}  # type: ignore[misc]


def _body(serializer: type[Any], operation: str, result: Any) -> str:
    """A reply's body as moto's ActionResult makes it (salesdq_engine.dynamodb.install registers the engine's
    class for DynamoDB in moto's own table of service-specific serializers)."""
    from moto.core.serialize import XFormedAttributePicker

    model = _dynamodb_model().operation_model(operation)
    return serializer(operation_model=model, value_picker=XFormedAttributePicker()).serialize(result)["body"]


@settings(max_examples=300, deadline=None)
@given(st.lists(_items, min_size=1, max_size=4))
def test_engine_reply_is_moto_s_reply_byte_for_byte(items):
    from moto.core.serialize import JSONSerializer

    for operation, result in _replies(items).items():
        assert _body(dynamodb.ReplySerializer, operation, result) == _body(JSONSerializer, operation, result)


def _calls(owner: Any, name: str, work: Callable[[], Any]) -> int:
    """How many times `work` calls the method `name` of `owner` (counted in place, then put back)."""
    calls = [0]
    original = getattr(owner, name)

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return original(*args, **kwargs)

    setattr(owner, name, counting)
    try:
        work()
    finally:
        setattr(owner, name, original)
    return calls[0]


# 8 values: six strings, a map holding a number, a list holding a boolean
_EIGHT_VALUES = {f"a{i}": {"S": "x"} for i in range(6)} | {"m": {"M": {"q": {"N": "1"}}}, "l": {"L": [{"BOOL": True}]}}


def _lookups(serializer: type[Any]) -> int:
    """How many times the serializer asks moto's attribute picker for a member, for 100 items of 8 values."""
    from moto.core.serialize import AttributePicker

    return _calls(
        AttributePicker, "__call__", lambda: _body(serializer, "Scan", _replies([_EIGHT_VALUES] * 100)["Scan"])
    )


def test_moto_alone_looks_up_every_member_of_every_attribute_value():
    from moto.core.serialize import JSONSerializer

    assert _lookups(JSONSerializer) >= 100 * 10 * 10  # ten members of each of the 10 values, for each item


def test_engine_looks_up_only_the_reply_s_own_members():
    assert _lookups(dynamodb.ReplySerializer) <= 10  # Items, Count, ScannedCount, ...: none per item


def test_install_registers_the_reply_serializer_in_moto_s_table():
    from moto.core.serialize import get_serializer_class

    dynamodb.install()
    assert get_serializer_class("dynamodb", "json") is dynamodb.ReplySerializer
    assert get_serializer_class("dynamodbstreams", "json") is not dynamodb.ReplySerializer


# ------------------------------------------------------------------ an attribute's size, by moto's rules


@settings(max_examples=400, deadline=None)
@given(_items)
def test_engine_size_of_an_item_is_moto_s(item):
    from moto.dynamodb.models.dynamo_type import DynamoType

    dynamodb.install()
    stored = _stored(item)
    engine = [stored.size()] + [value.size() for value in stored.attrs.values()]
    DynamoType.size = dynamodb._original_dynamo_size  # type: ignore[method-assign]
    try:
        moto_alone = [stored.size()] + [value.size() for value in stored.attrs.values()]
    finally:
        DynamoType.size = dynamodb._dynamo_size  # type: ignore[method-assign]
    assert engine == moto_alone


def test_moto_size_rules_the_engine_follows_keep_their_shape():
    import inspect

    source = inspect.getsource(dynamodb._original_dynamo_size)
    tests = [line.strip().split("(")[0] for line in source.splitlines() if line.strip().startswith(("if", "elif"))]
    assert tests == [
        "if self.is_number",
        "elif self.is_set",
        "elif self.is_list",
        "elif self.is_map",
        "elif isinstance",
    ]
    assert "DynamoType({sub_type: v}).size()" in source and "bytesize(k) + DynamoType(v).size()" in source
    assert "bytesize(key) + value.size()" in inspect.getsource(dynamodb._original_item_size)


# ------------------------------------------------------------------ a read page under the write lock: no copies

_PAGE = """
import json, threading, time
import boto3
from moto import mock_aws
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import Table
# counted before the engine is installed: what it calls of moto's own methods is counted
copies, sizes = [0], [0]
copy_item, size_item = Item.__deepcopy__, Item.size
def counting_copy(self, memo):
    copies[0] += 1
    return copy_item(self, memo)
def counting_size(self):
    sizes[0] += 1
    return size_item(self)
Item.__deepcopy__, Item.size = counting_copy, counting_size
{install}
with mock_aws():
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    ddb.create_table(TableName="r", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{{"AttributeName": "pk", "KeyType": "HASH"}}, {{"AttributeName": "sk", "KeyType": "RANGE"}}],
        AttributeDefinitions=[{{"AttributeName": "pk", "AttributeType": "S"}},
                              {{"AttributeName": "sk", "AttributeType": "N"}}])
    for i in range(200):
        ddb.put_item(TableName="r", Item={{"pk": {{"S": f"p{{i % 4}}"}}, "sk": {{"N": str(i)}},
            "m": {{"M": {{"l": {{"L": [{{"S": "x" * (i % 7)}}, {{"NS": ["1", str(i)]}}]}}, "n": {{"NULL": True}}}}}},
            "b": {{"B": bytes([i % 256]) * 3}}, "ok": {{"BOOL": i % 2 == 0}}}})
    out = {{}}
    copies[0] = sizes[0] = 0
    scan = ddb.scan(TableName="r", Limit=50)
    out["scan_work"] = [copies[0], sizes[0]]
    copies[0] = sizes[0] = 0
    query = ddb.query(TableName="r", KeyConditionExpression="pk = :p",
                      ExpressionAttributeValues={{":p": {{"S": "p1"}}}})
    out["query_work"] = [copies[0], sizes[0]]
    out["replies"] = [scan["Items"], scan["LastEvaluatedKey"], query["Items"], query["Count"]]
    out["queries"] = [ddb.query(TableName="r", KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
                                ExpressionAttributeValues={{":p": {{"S": "p2"}}, ":a": {{"N": "10"}},
                                                           ":b": {{"N": "90"}}}},
                                ScanIndexForward=False, Limit=6, ProjectionExpression="sk, m.l[1], ok")["Items"],
                      ddb.query(TableName="r", KeyConditionExpression="pk = :p", FilterExpression="ok = :t",
                                ExpressionAttributeValues={{":p": {{"S": "p3"}}, ":t": {{"BOOL": True}}}})["Count"]]
    # a write issued while a page is being read: does it land before the page's reply is built?
    scanning, landed = threading.Event(), []
    table_scan = Table.scan
    def slow_scan(self, *args, **kwargs):
        result = table_scan(self, *args, **kwargs)
        scanning.set()
        time.sleep(0.3)
        landed.append(written.is_set())
        return result
    Table.scan = slow_scan
    written = threading.Event()
    def write():
        scanning.wait()
        boto3.client("dynamodb", region_name="us-east-1").put_item(
            TableName="r", Item={{"pk": {{"S": "p0"}}, "sk": {{"N": "-1"}}}})
        written.set()
    writer = threading.Thread(target=write)
    writer.start()
    ddb.scan(TableName="r", Limit=5)
    writer.join()
    out["write_landed_during_page"] = landed[0]
print(json.dumps(out, default=repr))
"""


def test_moto_alone_copies_every_item_of_a_page_and_measures_it_twice():
    work = json.loads(_run(_PAGE, engine=False))
    assert work["scan_work"][0] >= 50 and work["scan_work"][1] >= 100
    assert work["query_work"][0] >= 50 and work["query_work"][1] >= 100
    assert work["write_landed_during_page"] is True  # hence the copies


def test_engine_builds_a_page_under_the_write_lock_with_no_copy_and_one_size_an_item():
    engine, moto_alone = json.loads(_run(_PAGE, engine=True)), json.loads(_run(_PAGE, engine=False))
    assert engine["scan_work"] == [0, 51]  # the 50 returned and the one that ended the page
    assert engine["query_work"] == [0, 50]
    assert engine["write_landed_during_page"] is False  # it waited for the reply
    assert engine["replies"] == moto_alone["replies"] and engine["queries"] == moto_alone["queries"]


# ------------------------------------------------------------------ a reply's plain values, by exact type first

_trees = st.recursive(
    st.one_of(
        st.text(max_size=4),
        st.integers(),
        st.floats(allow_nan=False),
        st.booleans(),
        st.none(),
        st.binary(max_size=4),
        st.datetimes(),
        st.decimals(allow_nan=False, places=2),
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_names, inner, max_size=3)),
    max_leaves=8,
)


def _stored(item: dict[str, Any]) -> Any:
    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    return Item(DynamoType({"S": "k"}), None, item)


@settings(max_examples=300, deadline=None)
@given(st.lists(_items, min_size=1, max_size=3), _trees)
def test_engine_plain_values_are_moto_s(items, tree):
    from moto.dynamodb.models.utilities import dynamo_to_dict

    stored = [_stored(item) for item in items]
    result = {"Items": [s.attrs for s in stored], "Item": stored[0], "Count": len(stored), "Other": tree}
    engine, moto_alone = dynamodb._to_plain(result), dynamo_to_dict(result)
    assert engine == moto_alone
    assert repr(engine) == repr(moto_alone)  # the same types too (bytes stay bytes, no DynamoType left)


def test_moto_plain_value_rules_the_engine_follows_keep_their_shape():
    import inspect

    from moto.dynamodb import responses
    from moto.dynamodb.models.utilities import dynamo_to_dict

    source = inspect.getsource(dynamo_to_dict)
    tests = [line.strip().split(":")[0] for line in source.splitlines() if line.strip().startswith("if ")]
    assert tests == [
        "if isinstance(obj, datetime)",
        "if isinstance(obj, DynamoType)",
        'if obj.type == "B"',
        "if isinstance(obj.value, bytes)",
        'if obj.type == "BS"',
        'if hasattr(obj, "to_json")',
        "if isinstance(obj, dict)",
        "if isinstance(obj, list)",
    ]
    assert "return {obj.type: dynamo_to_dict(obj.value)}" in source
    assert "dynamo_to_dict(result)" in inspect.getsource(responses.DynamoResult.__init__)
    dynamodb.install()
    assert responses.dynamo_to_dict is dynamodb._to_plain


# ------------------------------------------------------------------ a projection converts only what it reads


@st.composite
def _projections(draw: Any, item: dict[str, Any]) -> list[list[str]]:
    """Paths as moto's ProjectionExpressionParser gives them: names of the item and others, nested keys and
    list elements, repeated or not."""
    names = [*item, "absent"]
    heads = st.one_of(
        st.sampled_from(names), st.builds(lambda n, i: f"{n}[{i}]", st.sampled_from(names), st.integers(0, 2))
    )
    tails = st.lists(st.one_of(_names, st.builds(lambda n, i: f"{n}[{i}]", _names, st.integers(0, 2))), max_size=2)
    return draw(st.lists(st.builds(lambda head, tail: [head, *tail], heads, tails), min_size=1, max_size=5))


def _projected(project: Any, stored: Any, paths: list[list[str]]) -> Any:
    """What a projection gives: the item's plain values and keys, or the error it raises (moto's path walk
    assumes maps all the way down)."""
    from moto.dynamodb.models.utilities import dynamo_to_dict

    try:
        item = project(stored, paths)
    except (TypeError, KeyError, IndexError) as error:
        return type(error).__name__
    return repr(dynamo_to_dict(item.attrs)), item.hash_key, item.range_key


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_engine_projection_is_moto_s(data):
    item = data.draw(_items)
    paths = data.draw(_projections(item))
    stored = _stored(item)
    engine = _projected(dynamodb._item_project, stored, paths)
    assert engine == _projected(dynamodb._original_item_project, stored, paths)


def _conversions(project: Any) -> int:
    """How many attribute values a projection of 2 of an item's 12 attributes converts to Python values."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    stored = _stored({f"a{i}": {"M": {"x": {"S": "v"}, "y": {"L": [{"N": "1"}]}}} for i in range(12)})
    return _calls(DynamoType, "to_regular_json", lambda: project(stored, [["a3", "x"], ["a7"]]))


def test_moto_alone_converts_the_whole_item_for_each_projected_path():
    # each of the 12 attributes converts 4 values (the map, its 2 entries, the list's element), once a path
    assert _conversions(dynamodb._original_item_project) == 2 * 12 * 4


def test_engine_converts_only_the_attributes_its_paths_start_from():
    assert _conversions(dynamodb._item_project) == 2 * 4  # a3 and a7 only


def test_moto_projection_the_engine_follows_keeps_its_shape():
    import inspect

    from moto.dynamodb.models import dynamo_type, utilities

    source = inspect.getsource(dynamodb._original_item_project)
    assert "x = find_nested_key(expr, self.to_regular_json())" in source and "merge_dicts(result, x)" in source
    assert 'attrs=serializer.serialize(result)["M"]' in source
    assert "deserializer.deserialize(attribute.to_regular_json())" in inspect.getsource(
        dynamo_type.Item.to_regular_json
    )
    assert r'r"(.+)\[(\d+)\]$", string=keys[0]' in inspect.getsource(utilities.find_nested_key)
    assert dynamo_type.find_nested_key is utilities.find_nested_key
    dynamodb.install()
    assert dynamo_type.Item.project is dynamodb._item_project


# ------------------------------------------------------------------ replies parsed by functions built from the shape

_wire_scalars = st.one_of(  # AttributeValues as they come over the wire: binary in base64
    _scalars.filter(lambda v: "B" not in v and "BS" not in v),
    st.builds(lambda b: {"B": base64.b64encode(b).decode()}, st.binary(max_size=6)),
    st.builds(lambda bs: {"BS": [base64.b64encode(b).decode() for b in bs]}, st.lists(st.binary(max_size=4))),
)
_wire_values = st.recursive(
    _wire_scalars,
    lambda inner: st.one_of(
        st.builds(lambda m: {"M": m}, st.dictionaries(_names, inner, max_size=3)),
        st.builds(lambda items: {"L": items}, st.lists(st.one_of(inner, st.none()), max_size=3)),
        # what DynamoDB never sends but a parser must take as botocore does: several members, unknown ones, nulls
        st.builds(lambda a, b: a | b, inner, inner),
        st.builds(lambda v, name: v | {name: "?"}, inner, st.sampled_from(["X", "s", "__type"])),
        st.builds(lambda name: {name: None}, st.sampled_from(["S", "M", "L", "X"])),
    ),
    max_leaves=12,
)
_wire_items = st.dictionaries(_names, _wire_values, min_size=1, max_size=5)


def _parsed(items: list[dict[str, Any]], structure: Any) -> dict[str, Any]:
    """A Scan reply of these items, parsed by botocore's JSON parser with `structure` as its structure handler."""
    from botocore import parsers

    body = json.dumps({"Items": items, "Count": len(items), "LastEvaluatedKey": items[0]}).encode()
    reply = {"status_code": 200, "headers": {}, "body": body}
    shape = _dynamodb_model().operation_model("Scan").output_shape
    original = parsers.BaseJSONParser._handle_structure
    parsers.BaseJSONParser._handle_structure = structure  # type: ignore[method-assign]
    try:
        return parsers.JSONParser().parse(reply, shape)  # type: ignore[no-any-return]
    finally:
        parsers.BaseJSONParser._handle_structure = original  # type: ignore[method-assign]


def _dynamodb_model() -> Any:
    from moto.core.utils import get_service_model

    return get_service_model("dynamodb")


@settings(max_examples=300, deadline=None)
@given(st.lists(_wire_items, min_size=1, max_size=4))
def test_engine_parsed_reply_is_botocore_s(items):
    engine, botocore_alone = _parsed(items, dynamodb._handle_structure), _parsed(items, dynamodb._botocore_structure)
    assert engine == botocore_alone
    assert repr(engine) == repr(botocore_alone)  # the same types and key order too (binary as bytes)


def _parses(structure: Any) -> int:
    """How many values botocore's parser dispatches (`_parse_shape`) for a Scan reply of 100 items of 8 values."""
    from botocore import parsers

    return _calls(parsers.ResponseParser, "_parse_shape", lambda: _parsed([_EIGHT_VALUES] * 100, structure))


# Per item: its map, each of its 8 names and values; then with botocore alone the member of each of the 6
# strings, and the map's and the list's own (M, q, its value, N; L, its value, BOOL); the reply's own fields
# and LastEvaluatedKey add at most 40.
def test_botocore_alone_dispatches_every_member_of_every_attribute_value():
    assert _parses(dynamodb._botocore_structure) >= 100 * (1 + 8 * 2 + 6 + 4 + 3)


def test_engine_dispatches_each_attribute_of_an_item_once_and_nothing_below_it():
    assert _parses(dynamodb._handle_structure) <= 100 * (1 + 8 * 2) + 40


def test_inside_a_lambda_invocation_the_engine_leaves_botocore_s_parser_alone():
    from salesdq_engine import lambda_runtime

    lambda_runtime._invocation.running = object()  # what the runtime sets while a handler runs on this thread
    try:
        assert _parses(dynamodb._handle_structure) == _parses(dynamodb._botocore_structure)
    finally:
        del lambda_runtime._invocation.running


def test_botocore_parser_rules_the_engine_follows_keep_their_shape():
    import inspect

    from botocore import parsers

    # _parse_shape dispatches on the shape's type; JSON has handlers for these, the rest are returned as they are
    assert "f'_handle_{shape.type_name}'" in inspect.getsource(parsers.ResponseParser._parse_shape)
    assert parsers.JSONParser._handle_list is parsers.ResponseParser._handle_list
    assert parsers.JSONParser._handle_map is parsers.BaseJSONParser._handle_map
    assert parsers.JSONParser._handle_blob is parsers.BaseJSONParser._handle_blob
    for kind in ("string", "boolean"):
        assert getattr(parsers.JSONParser, f"_handle_{kind}", None) is None
    attribute_value = _dynamodb_model().shape_for("AttributeValue")
    assert not attribute_value.is_tagged_union and not attribute_value.is_document_type


def _signature(shape: Any, seen: frozenset[str] = frozenset()) -> Any:
    if shape.name in seen:
        return shape.name
    seen = seen | {shape.name}
    if shape.type_name == "structure":
        return {n: (m.serialization.get("name", n), _signature(m, seen)) for n, m in shape.members.items()}
    if shape.type_name == "map":
        return ("map", _signature(shape.key, seen), _signature(shape.value, seen))
    if shape.type_name == "list":
        return ("list", _signature(shape.member, seen))
    return shape.type_name


def test_every_json_service_shape_the_engine_decodes_as_dynamodb_s_is_dynamodb_s():
    import botocore.session

    session = botocore.session.get_session()
    dynamo = _dynamodb_model().shape_for("AttributeValue")
    taken = []
    for service in session.get_available_services():
        model = session.get_service_model(service)
        if model.resolved_protocol not in ("json", "rest-json") or "AttributeValue" not in model.shape_names:
            continue
        shape = model.shape_for("AttributeValue")
        if shape.type_name == "structure" and shape.members.keys() == dynamo.members.keys():
            assert _signature(shape) == _signature(dynamo), service
            taken.append(service)
    assert sorted(taken) == ["dynamodb", "dynamodbstreams"]


def test_install_puts_the_engine_s_structure_handler_in_botocore_s_json_parser():
    from botocore import parsers

    dynamodb.install()
    assert parsers.BaseJSONParser._handle_structure is dynamodb._handle_structure


def test_a_shape_the_decoders_do_not_take_is_left_to_botocore_s_handler():
    import copy

    import botocore.loaders
    from botocore import parsers
    from botocore.model import ServiceModel

    model = copy.deepcopy(botocore.loaders.Loader().load_service_model("dynamodb", "service-2"))
    model["shapes"]["AttributeValue"]["union"] = True  # as botocore would mark a tagged union
    shape = ServiceModel(model, "dynamodb").shape_for("AttributeValue")
    parser = parsers.JSONParser()
    expected = [dynamodb._botocore_structure(parser, shape, v) for v in ({"S": "x"}, {"M": {"a": {"N": "1"}}})]
    # the engine's handler installed, with this shape as DynamoDB's: its decoder must not lead back to itself
    original, handler = dynamodb._attribute_value, parsers.BaseJSONParser._handle_structure
    dynamodb._attribute_value = lambda: (frozenset(shape.members), dynamodb._decoder(shape, {}))  # type: ignore[assignment]
    parsers.BaseJSONParser._handle_structure = dynamodb._handle_structure  # type: ignore[method-assign]
    try:
        parsed = [parser._parse_shape(shape, v) for v in ({"S": "x"}, {"M": {"a": {"N": "1"}}})]
    finally:
        dynamodb._attribute_value = original  # type: ignore[assignment]
        parsers.BaseJSONParser._handle_structure = handler  # type: ignore[method-assign]
    assert parsed == expected
