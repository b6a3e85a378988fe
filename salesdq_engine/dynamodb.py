"""DynamoDB: partition-only Query, a Scan page in O(page), an item measured once, and atomic conditional writes.

- A Query on a table sorts every item of the table to find one partition (O(table) per page); here it reads
  that partition, as DynamoDB does.
- A Scan page (of the table, not an index) sorts every item of the table, then compares each against the
  ExclusiveStartKey until past it (O(table) per page, O(table^2 / page) for a whole scan); here the table's
  sorted items are kept from page to page while no write changes the table (any put or delete drops them),
  a page starts where the last ended (a binary search with moto's own comparison) and moto's scan loop runs
  on from there, stopping at the limit or 1 MB as before: same items, order, counts and LastEvaluatedKey.
- Building an item re-measures every attribute stored so far as each one is added (O(attributes^2) per
  write); here the item is measured once, against the same limit, so the same items are refused.
- A conditional write reads the item, evaluates the condition and then stores, with no lock, so two threads
  can both pass `attribute_not_exists` on one key; here writes run one at a time, atomic per item as on
  DynamoDB (salesdq's slot leases depend on it).
- A reply's attribute values are encoded by moto's generic serializer, which looks each of the ten members
  of every AttributeValue up through its alias rules (about 1 ms an item of a Scan page, most of what reading
  a table costs); here DynamoDB's JSON serializer encodes them with functions built once from the same
  botocore shape, member by member as moto does: the same reply, byte for byte.
- An attribute's size (which a Scan or Query page asks of each item twice, against its 1 MB) is found by
  moto through a method call per type test and a new DynamoType per map entry; here one function walks the
  stored value with moto's rules in moto's order: the same number.
- A Scan or Query page deep-copies every item it returns (so that no write changes it before the reply is
  built) and measures each item twice against its 1 MB; here the page is built under the write lock, from
  the read to the reply's plain values, so no write can change an item meanwhile: no item is copied and
  each is measured once. The same reply; writes wait for the page (on DynamoDB each item read is atomic,
  a page is not a snapshot: this is stronger, not weaker).
- A reply's DynamoTypes are turned into plain values by a function that asks of every node, a string
  included, whether it is a datetime, a DynamoType, has `to_json`, is a dict or a list; here the node's
  exact type is looked at first (a string, number or bool is returned as it is) and anything else is
  handed to moto's function: the same values.
- A projection (a Query's, a Scan's, a GetItem's or BatchGetItem's ProjectionExpression) converts the whole
  item to Python values once per projected path, to pick one attribute from it; here each path converts
  only the attribute it starts from (moto's own find_nested_key and merge then do the rest): the same item.
- On the client's side, botocore's JSON parser dispatches every member of every AttributeValue of a reply
  and walks all ten members for the one present; here a reply read outside any Lambda invocation has its
  AttributeValues decoded by functions built once from DynamoDB's shape, handler by handler as botocore
  would: the same parsed reply. A handler's requests keep botocore's parser, which a Lambda pays for on AWS.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Iterator
from enum import Enum
from typing import Any

from botocore import parsers
from botocore.model import Shape, StructureShape
from moto.core import serialize
from moto.core.utils import get_service_model
from moto.dynamodb import responses
from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models import DynamoDBBackend, dynamo_type
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.table import Table
from moto.dynamodb.models.utilities import bytesize, dynamo_to_dict

from salesdq_engine import lambda_runtime

MOTO_ITEM_LIMIT_BYTES = 405_000  # moto's LimitedSizeDict: between AWS's documented 400 KB and its measured ~409 KB

# The API's writes (the operations that change a table), as a request names them.
WRITE_OPERATIONS = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})

# The backend methods behind PutItem, UpdateItem, DeleteItem and TransactWriteItems (BatchWriteItem calls the
# first and third per item); re-entrant because a transaction's items go through put_item and delete_item.
_ATOMIC_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")
_WRITE_LOCK = threading.RLock()

_original_table_query = Table.query
_original_all_items = Table.all_items
_original_table_scan = Table.scan
_original_put_item = Table.put_item
_original_delete_item = Table.delete_item
_original_dynamo_size = DynamoType.size
_original_item_deepcopy = Item.__deepcopy__
_original_item_size = Item.size
_original_dynamo_to_dict = dynamo_to_dict
_original_item_project = Item.project
_botocore_structure = parsers.BaseJSONParser._handle_structure  # type: ignore[attr-defined]  # a private
_LIST_ELEMENT = re.compile(r"(.+)\[(\d+)\]$")  # how moto's find_nested_key reads a path's first name
_READ_PAGES = ("scan", "query")  # the DynamoHandler methods whose replies are built under the write lock
_page = threading.local()  # while this thread builds a Scan or Query reply: the sizes of the items it measured
_SETS = frozenset({"SS", "NS", "BS"})
_query = threading.local()  # the partition the current thread's Query reads, while it runs
_scan = threading.local()  # the table and start key of the current thread's Scan, while it runs


class _SortedItems:
    """A table's items in moto's Scan order, and the version of the table they were sorted at."""

    def __init__(self) -> None:
        self.version = 0
        self.items: list[Item] | None = None
        self.of: object = None  # the Table.items dict they came from

    def __deepcopy__(self, memo: dict[int, Any]) -> _SortedItems:
        return _SortedItems()  # a copied table (a transaction's rollback state) sorts its own


def _sorted(table: Table) -> _SortedItems:
    cache = table.__dict__.get("_salesdq_sorted")
    if cache is None:
        cache = table.__dict__["_salesdq_sorted"] = _SortedItems()
    return cache  # type: ignore[no-any-return]


def _changed(table: Table) -> None:
    cache = _sorted(table)
    cache.version += 1
    cache.items = None


def _put_item(self: Table, *args: Any, **kwargs: Any) -> Any:
    try:
        return _original_put_item(self, *args, **kwargs)
    finally:
        _changed(self)


def _delete_item(self: Table, *args: Any, **kwargs: Any) -> Any:
    try:
        return _original_delete_item(self, *args, **kwargs)
    finally:
        _changed(self)


def _table_scan(self: Table, filters: Any, limit: Any, exclusive_start_key: Any, *args: Any, **kwargs: Any) -> Any:
    index_name = args[1] if len(args) > 1 else kwargs.get("index_name")
    if index_name:
        return _original_table_scan(self, filters, limit, exclusive_start_key, *args, **kwargs)
    _scan.table, _scan.start = self, exclusive_start_key
    try:
        return _original_table_scan(self, filters, limit, exclusive_start_key, *args, **kwargs)
    finally:
        _scan.table = _scan.start = None


def _scan_from(table: Table, start_key: dict[str, Any] | None) -> Iterator[Item]:
    """The table's items in moto's order, from the first past start_key (moto skips the ones before it)."""
    cache = _sorted(table)
    if cache.items is None or cache.of is not table.items:
        cache.items, cache.of = _original_all_items(table), table.items
    items = cache.items
    low = 0
    if start_key is not None:
        # the first item moto's own comparison does not put at or before the start key (items are sorted)
        hash_attrs, range_attrs = [table.hash_key_attr], [table.range_key_attr]
        high = len(items)
        while low < high:
            middle = (low + high) // 2
            if table._item_comes_before_dct(items[middle], start_key, hash_attrs, range_attrs, True):
                low = middle + 1
            else:
                high = middle
    _scan.touched = getattr(_scan, "touched", 0)
    for position in range(low, len(items)):
        _scan.touched += 1  # the items a page walks: tests read it
        yield items[position]


def _table_query(self: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
    index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
    if index_name or hash_key is None or not self.range_key_attr:
        return _original_table_query(self, hash_key, *args, **kwargs)
    _query.partition = hash_key
    try:
        return _original_table_query(self, hash_key, *args, **kwargs)
    finally:
        _query.partition = None


def _all_items(self: Table) -> Any:
    if getattr(_scan, "table", None) is self:
        _scan.table = None  # one read per Scan, by its loop
        return _scan_from(self, _scan.start)
    partition = getattr(_query, "partition", None)
    if partition is None:
        return _original_all_items(self)
    return list(self.items.get(partition, {}).values())  # the query itself sorts them by range key


def _item_init(self: Item, hash_key: DynamoType, range_key: DynamoType | None, attrs: dict[str, Any]) -> None:
    # moto checks the running total as each attribute is added; the totals only grow, so one check of the whole
    # item refuses exactly the items moto refuses.
    self.hash_key = hash_key
    self.range_key = range_key
    self.attrs = LimitedSizeDict()
    for key, value in attrs.items():
        dict.__setitem__(self.attrs, key, DynamoType(value))
    if self.size() > MOTO_ITEM_LIMIT_BYTES:
        raise ItemSizeTooLarge


def _dynamo_size(self: DynamoType) -> int:
    return _value_size(self.type, self.value)


def _value_size(kind: str, value: Any) -> int:
    """moto's DynamoType.size, rule for rule: a number by its text, a set by its members as scalars of the
    set's type, a list by its elements, a map by its keys' bytes and its values, a boolean or NULL as 1 byte,
    anything else by its bytes."""
    if kind == "N":
        return len(str(value))
    if kind in _SETS:
        member = kind[0]
        return sum(_value_size(member, element) for element in value)
    if kind == "L":  # elements are DynamoTypes (moto calls their size)
        return sum(
            _value_size(element.type, element.value) if type(element) is DynamoType else element.size()
            for element in value
        )
    if kind == "M":  # moto wraps each value in a new DynamoType first
        return sum(
            bytesize(key)
            + (_value_size(entry.type, entry.value) if type(entry) is DynamoType else DynamoType(entry).size())
            for key, entry in value.items()
        )
    if isinstance(value, bool):
        return 1
    return bytesize(value)


def _under_write_lock(read: Any) -> Any:
    @functools.wraps(read)
    def page(self: responses.DynamoHandler) -> Any:
        with _WRITE_LOCK:
            _page.sizes = {}
            try:
                return read(self)  # DynamoResult has turned the items into plain values before it returns
            finally:
                _page.sizes = None

    return page


def _item_deepcopy(self: Item, memo: dict[int, Any]) -> Item:
    if getattr(_page, "sizes", None) is not None:
        return self  # no write can change it before the reply is plain values
    return _original_item_deepcopy(self, memo)


def _item_size(self: Item) -> int:
    sizes: dict[int, tuple[Item, int]] | None = getattr(_page, "sizes", None)
    if sizes is None:
        return _original_item_size(self)
    known = sizes.get(id(self))
    if known is None:
        known = sizes[id(self)] = (self, _original_item_size(self))  # holding the item keeps its id unique
    return known[1]


_AS_IS = frozenset({str, int, float, bool, type(None)})  # no to_json, not a datetime: moto returns them as they are
_CONTAINERS = frozenset({dict, LimitedSizeDict})


def _to_plain(obj: Any) -> Any:
    """moto's dynamo_to_dict, node by node, with the common exact types decided first."""
    kind = type(obj)
    if kind in _AS_IS:
        return obj
    if kind is DynamoType and obj.type not in ("B", "BS"):
        return {obj.type: _to_plain(obj.value)}
    if kind in _CONTAINERS:
        return {key: _to_plain(value) for key, value in obj.items()}
    if kind is list:
        return [_to_plain(value) for value in obj]
    return _original_dynamo_to_dict(obj)


def _item_project(self: Item, projection_expressions: list[list[str]]) -> Item:
    """moto's Item.project, with each path reading from a dict of only the attribute it starts from (moto's
    find_nested_key looks no further than that key at the top)."""
    result: dict[str, Any] = {}
    for path in projection_expressions:
        element = _LIST_ELEMENT.match(path[0])
        name = element.group(1) if element else path[0]
        attribute = self.attrs.get(name)
        if attribute is None:
            continue  # moto finds {} for it and merges nothing
        plain = {name: dynamo_type.deserializer.deserialize(attribute.to_regular_json())}
        dynamo_type.merge_dicts(result, dynamo_type.find_nested_key(path, plain))
    return Item(
        hash_key=self.hash_key, range_key=self.range_key, attrs=dict(dynamo_type.serializer.serialize(result)["M"])
    )


def _atomic(write: Any) -> Any:
    @functools.wraps(write)
    def locked(self: DynamoDBBackend, *args: Any, **kwargs: Any) -> Any:
        with _WRITE_LOCK:
            return write(self, *args, **kwargs)

    return locked


Encoder = Callable[[serialize.ResponseSerializer, Any], Any]
_ABSENT = object()  # what moto's serializer leaves out: no key is written for it


def _encoder(shape: Shape, built: dict[str, Encoder]) -> Encoder:
    """A function that returns what moto's JSON serializer writes for a value of `shape` (or _ABSENT), built
    from the shape once. Recursive shapes (a map of AttributeValue inside AttributeValue) refer to themselves
    through `built`."""
    if shape.name in built:
        return lambda serializer, value: built[shape.name](serializer, value)
    kind = shape.type_name
    encode: Encoder
    if kind == "string":
        encode = _string
    elif kind == "blob":
        encode = _blob
    elif kind == "boolean":
        encode = _as_is
    else:
        built[shape.name] = _generic(shape)  # placeholder while its members are built
        if kind == "structure":
            encode = _structure(shape, built)
        elif kind == "map":
            encode = _map(shape, built)
        elif kind == "list":
            encode = _list(shape, built)
        else:
            encode = built[shape.name]
    built[shape.name] = encode
    return encode


def _string(serializer: serialize.ResponseSerializer, value: Any) -> Any:
    if isinstance(value, Enum):
        value = value.value
    return str(value) if value not in (None, {}, []) else value


def _blob(serializer: serialize.ResponseSerializer, value: Any) -> Any:
    return serializer._base64(value)


def _as_is(_: Any, value: Any) -> Any:
    return value


def _generic(shape: Shape) -> Encoder:
    """moto's own path, for what the built functions do not take (a value that is not a dict)."""

    def encode(serializer: serialize.ResponseSerializer, value: Any) -> Any:
        wrapper: dict[str, Any] = {}
        # moto declares its own Shape; it is handed botocore's, as the serializer it extends is
        serialize.JSONSerializer._serialize(serializer, wrapper, value, shape, "value")  # type: ignore[arg-type]
        return next(iter(wrapper.values()), _ABSENT)

    return encode


def _structure(shape: Any, built: dict[str, Encoder]) -> Encoder:
    members = [
        (name, member.serialization.get("name", name), _encoder(member, built))
        for name, member in shape.members.items()
    ]
    by_name = {name: (wire_name, member) for name, wire_name, member in members}
    fallback = _generic(shape)

    def encode(serializer: serialize.ResponseSerializer, value: Any) -> Any:
        if value is None:
            return _ABSENT
        if type(value) is not dict:
            return fallback(serializer, value)
        if len(value) == 1:  # an AttributeValue's one member: what the walk over all ten writes
            ((name, member_value),) = value.items()
            found = by_name.get(name)
            if found is None or member_value is None:
                return {}
            encoded = found[1](serializer, member_value)
            return {} if encoded is _ABSENT else {found[0]: encoded}
        out: dict[str, Any] = {}
        for name, wire_name, member in members:
            member_value = value.get(name)
            if member_value is not None:
                encoded = member(serializer, member_value)
                if encoded is not _ABSENT:
                    out[wire_name] = encoded
        return out

    return encode


def _map(shape: Any, built: dict[str, Encoder]) -> Encoder:
    value_encoder = _encoder(shape.value, built)
    wire_name = shape.value.serialization.get("name")  # moto writes every entry under it, if the model has one

    def encode(serializer: serialize.ResponseSerializer, value: Any) -> Any:
        out: dict[str, Any] = {}
        for key, entry in value.items():
            encoded = value_encoder(serializer, entry)
            if encoded is not _ABSENT:
                out[wire_name or key] = encoded
        return out

    return encode


def _list(shape: Any, built: dict[str, Encoder]) -> Encoder:
    member_encoder = _encoder(shape.member, built)
    renamed = shape.member.serialization.get("name", shape.member.name) != shape.member.name

    def encode(serializer: serialize.ResponseSerializer, value: Any) -> Any:
        out = []
        for item in value:
            encoded = member_encoder(serializer, item)
            out.append(item if renamed or encoded is _ABSENT else encoded)
        return out

    return encode


ATTRIBUTE_VALUE = "AttributeValue"


class ReplySerializer(serialize.JSONSerializer):
    """moto's JSON serializer for DynamoDB, with every AttributeValue encoded by the functions built from its
    shape (`_encoder`) instead of moto's member-by-member walk."""

    _built: dict[str, Encoder] = {}

    def _serialize(self, serialized: Any, value: Any, shape: Shape, key: str) -> None:
        if key and shape.name == ATTRIBUTE_VALUE:
            encoded = _encoder(shape, self._built)(self, value)
            if encoded is not _ABSENT:
                serialized[shape.serialization.get("name", key)] = encoded
            return
        super()._serialize(serialized, value, shape, key)  # type: ignore[arg-type]  # botocore's Shape, as above


Decoder = Callable[[parsers.BaseJSONParser, Any], Any]


def _decoder(shape: Shape, built: dict[str, Decoder]) -> Decoder:
    """A function that returns what botocore's JSON parser returns for a value of `shape`, built from the shape
    once, handler by handler as botocore dispatches them (`_parse_shape`); recursive shapes refer to themselves
    through `built`."""
    if shape.name in built:
        return lambda parser, value: built[shape.name](parser, value)
    kind = shape.type_name
    decode: Decoder
    if getattr(parsers.JSONParser, f"_handle_{kind}", None) is None:
        decode = _as_is  # botocore's _default_handle (strings and booleans in JSON)
    elif kind == "blob":
        decode = _blob_value
    elif kind in ("structure", "map", "list"):
        built[shape.name] = _parse_generic(shape)  # placeholder while its members are built
        decode = {"structure": _parse_structure, "map": _parse_map, "list": _parse_list}[kind](shape, built)
    else:
        decode = _parse_generic(shape)
    built[shape.name] = decode
    return decode


def _blob_value(parser: parsers.BaseJSONParser, value: Any) -> Any:
    return parser._blob_parser(value)  # type: ignore[attr-defined]  # a private


def _parse_generic(shape: Shape) -> Decoder:
    return lambda parser, value: parser._parse_shape(shape, value)  # type: ignore[attr-defined]  # a private


def _parse_structure(shape: Any, built: dict[str, Decoder]) -> Decoder:
    if shape.is_document_type or shape.is_tagged_union:  # botocore's own handler (not _parse_shape: it leads here)
        return lambda parser, value: _botocore_structure(parser, shape, value)
    members = [
        (name, member.serialization.get("name", name), _decoder(member, built))
        for name, member in shape.members.items()
    ]
    by_wire_name = {wire_name: (name, member) for name, wire_name, member in members}

    def decode(parser: parsers.BaseJSONParser, value: Any) -> Any:
        if type(value) is not dict:
            return _botocore_structure(parser, shape, value)  # None stays None; the rest fails as it does there
        if len(value) == 1:  # an AttributeValue's one member: the same dict as the walk over all ten gives
            ((wire_name, raw),) = value.items()
            found = by_wire_name.get(wire_name)
            return {} if found is None or raw is None else {found[0]: found[1](parser, raw)}
        parsed = {}
        for name, wire_name, member in members:
            raw = value.get(wire_name)
            if raw is not None:
                parsed[name] = member(parser, raw)
        return parsed

    return decode


def _parse_map(shape: Any, built: dict[str, Decoder]) -> Decoder:
    key_decoder, value_decoder = _decoder(shape.key, built), _decoder(shape.value, built)
    return lambda parser, node: {key_decoder(parser, k): value_decoder(parser, v) for k, v in node.items()}


def _parse_list(shape: Any, built: dict[str, Decoder]) -> Decoder:
    member_decoder = _decoder(shape.member, built)
    return lambda parser, node: [None if item is None else member_decoder(parser, item) for item in node]


@functools.cache
def _attribute_value() -> tuple[frozenset[str], Decoder]:
    """DynamoDB's AttributeValue: its members' names, and its decoder."""
    shape = get_service_model("dynamodb").shape_for(ATTRIBUTE_VALUE)
    assert isinstance(shape, StructureShape)
    return frozenset(shape.members), _decoder(shape, {})


def _handle_structure(self: parsers.BaseJSONParser, shape: Any, value: Any) -> Any:
    """botocore's JSON parser: a DynamoDB AttributeValue read by the engine's own process (outside any Lambda
    invocation: `local run --out`, an in-process operator) is decoded by the function built from its shape.
    A handler keeps botocore's parser: on AWS it pays for that parse, and its billed duration includes it."""
    if shape.name == ATTRIBUTE_VALUE and lambda_runtime.current() is None:
        members, decode = _attribute_value()
        if shape.members.keys() == members:  # other services name other shapes AttributeValue
            return decode(self, value)
    return _botocore_structure(self, shape, value)


@functools.cache
def install() -> None:
    """Apply the additions to moto (and to botocore's parser of its replies); once per process."""
    Item.project = _item_project  # type: ignore[method-assign]
    DynamoType.size = _dynamo_size  # type: ignore[method-assign]
    Item.__deepcopy__ = _item_deepcopy  # type: ignore[method-assign]
    Item.size = _item_size  # type: ignore[method-assign]
    responses.dynamo_to_dict = _to_plain
    for name in _READ_PAGES:
        setattr(responses.DynamoHandler, name, _under_write_lock(getattr(responses.DynamoHandler, name)))
    serialize.SERVICE_SPECIFIC_SERIALIZERS.setdefault("dynamodb", {})["json"] = ReplySerializer
    parsers.BaseJSONParser._handle_structure = _handle_structure  # type: ignore[attr-defined]  # a private
    Table.query = _table_query  # type: ignore[method-assign]
    Table.scan = _table_scan  # type: ignore[method-assign]
    Table.put_item = _put_item  # type: ignore[method-assign]
    Table.delete_item = _delete_item  # type: ignore[method-assign]
    Table.all_items = _all_items  # type: ignore[method-assign]
    Item.__init__ = _item_init  # type: ignore[method-assign]
    for name in _ATOMIC_WRITES:
        setattr(DynamoDBBackend, name, _atomic(getattr(DynamoDBBackend, name)))
