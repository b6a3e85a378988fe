"""DynamoDB: partition-only Query, an item measured once, and atomic conditional writes.

- A Query on a table sorts every item of the table to find one partition (O(table) per page); here it reads
  that partition, as DynamoDB does.
- Building an item re-measures every attribute stored so far as each one is added (O(attributes^2) per
  write); here the item is measured once, against the same limit, so the same items are refused.
- A conditional write reads the item, evaluates the condition and then stores, with no lock, so two threads
  can both pass `attribute_not_exists` on one key; here writes run one at a time, atomic per item as on
  DynamoDB (salesdq's slot leases depend on it).
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.table import Table

MOTO_ITEM_LIMIT_BYTES = 405_000  # moto's LimitedSizeDict: between AWS's documented 400 KB and its measured ~409 KB

# The API's writes (the operations that change a table), as a request names them.
WRITE_OPERATIONS = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})

# The backend methods behind PutItem, UpdateItem, DeleteItem and TransactWriteItems (BatchWriteItem calls the
# first and third per item); re-entrant because a transaction's items go through put_item and delete_item.
_ATOMIC_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")
_WRITE_LOCK = threading.RLock()

_original_table_query = Table.query
_original_all_items = Table.all_items
_query = threading.local()  # the partition the current thread's Query reads, while it runs


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


def _atomic(write: Any) -> Any:
    @functools.wraps(write)
    def locked(self: DynamoDBBackend, *args: Any, **kwargs: Any) -> Any:
        with _WRITE_LOCK:
            return write(self, *args, **kwargs)

    return locked


@functools.cache
def install() -> None:
    """Apply the three additions to moto; once per process."""
    Table.query = _table_query  # type: ignore[method-assign]
    Table.all_items = _all_items  # type: ignore[method-assign]
    Item.__init__ = _item_init  # type: ignore[method-assign]
    for name in _ATOMIC_WRITES:
        setattr(DynamoDBBackend, name, _atomic(getattr(DynamoDBBackend, name)))
