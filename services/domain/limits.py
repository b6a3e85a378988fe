"""What DynamoDB can hold of a record (docs/validation.md, "Limits"): the numbers here are DynamoDB's.

The contract (services/domain/contract.py) turns each into a rule; the DAL writes numbers with
`dynamodb_number`, so the contract and the write path can never disagree about a number.
"""

from __future__ import annotations

from decimal import Decimal

# DynamoDB allows 2,048 bytes in a partition key and 1,024 in a sort key. An order id is the orders table's
# partition key and, as ORDER#<id>, the partition key of the order's audit history: 1,024 bytes fits any key.
MAX_ORDER_ID_BYTES = 1024
# "Attribute names must be at least one character long and less than 64 KB" (UTF-8 bytes).
MAX_ATTRIBUTE_NAME_BYTES = 65_535
# DynamoDB nests maps and lists 32 levels deep. Counting a record's own fields as level 1, an object or array
# at level 31 holds values at level 32, the last level: no object or array may sit deeper than level 31.
MAX_LEVELS = 32
MAX_CONTAINER_LEVEL = MAX_LEVELS - 1
# Numbers: 38 significant digits; magnitude 1E-130 to 9.9999999999999999999999999999999999999E+125, or zero.
MAX_NUMBER_DIGITS = 38
MIN_EXPONENT, MAX_EXPONENT = -130, 125  # of the leading digit
_SMALL = 10**MAX_NUMBER_DIGITS


def storable(value: int | Decimal | float) -> bool:
    """Whether DynamoDB holds the number (dynamodb_number, without making its text for the usual int)."""
    if isinstance(value, int) and -_SMALL < value < _SMALL:
        return True
    return dynamodb_number(value) is not None


def dynamodb_number(value: int | Decimal | float) -> str | None:
    """The number as DynamoDB stores it (trailing zeros trimmed: 1.50 -> 1.5, 3.0 -> 3), or None when
    DynamoDB cannot hold it. A float counts as the decimal its repr shows."""
    if isinstance(value, int) and -_SMALL < value < _SMALL:
        return int.__repr__(value)
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        return None
    if number == 0:
        return "0"
    sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    kept = len(digits)
    while kept > 1 and digits[kept - 1] == 0:
        kept -= 1
    exponent += len(digits) - kept
    if kept > MAX_NUMBER_DIGITS or not MIN_EXPONENT <= exponent + kept - 1 <= MAX_EXPONENT:
        return None
    return str(Decimal((sign, digits[:kept], exponent)))
