"""The export file's records as pydantic models: they validate an import and document the format.

One model per record ``type`` (see ``_export`` for the file's layout). Import validates
every line with these before writing anything; the first problem becomes an
``ExportFormatError`` naming the line, the field and the offending value.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from langchain_core.messages import BaseMessage
from langgraph.store.base import InvalidNamespaceError, PutOp, validate_op_namespace
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, field_validator

from langmem_plugin.history._codec import decode_message

__all__ = [
    "EpochTime",
    "ExportHeader",
    "ItemRecord",
    "MessageRecord",
    "Record",
    "SessionRecord",
    "decode_legacy_message",
]

EpochTime = Annotated[float, Field(ge=0, allow_inf_nan=False, strict=True)]
"""Seconds since the epoch: a finite, non-negative number (not a boolean, not a string)."""

NonEmpty = Annotated[StrictStr, Field(pattern=r"\S")]
"""A string with at least one non-space character."""


class Record(BaseModel):
    """A line of the file: a JSON object; fields the model does not name are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class ExportHeader(Record):
    """Line 1: what the file is, its format version, when and how much was exported."""

    type: Literal["langmem-export"]
    version: Literal[1, 2, 3]
    exported_at: EpochTime | None = None
    counts: dict[str, int] = Field(default_factory=dict)


class ItemRecord(Record):
    """One live store item, with its times and TTL (``ChromaStore.dump``'s record)."""

    type: Literal["item"]
    namespace: list[StrictStr] = Field(description="what BaseStore.put accepts")
    key: StrictStr
    value: dict[str, Any]
    created_at: EpochTime
    updated_at: EpochTime
    expires_at: EpochTime | None = None
    ttl: Annotated[float, Field(gt=0, allow_inf_nan=False, strict=True)] | None = Field(
        default=None, description="minutes"
    )
    indexed: StrictBool = Field(default=True, description="whether the item had vectors")

    @field_validator("namespace")
    @classmethod
    def _put_namespace(cls, namespace: list[str]) -> list[str]:
        """What ``BaseStore.put`` accepts: labels, non-empty, not under ``"langgraph"``."""
        if not namespace:
            raise ValueError("invalid namespace (Namespace cannot be empty.)")
        try:
            validate_op_namespace(PutOp(tuple(namespace), "", None))
        except InvalidNamespaceError as error:
            raise ValueError(f"invalid namespace ({error})") from error
        if namespace[0] == "langgraph":
            raise ValueError(f'invalid namespace (Root label cannot be "langgraph": {namespace})')
        return namespace


class SessionRecord(Record):
    """Version 1 only: a chat session (version 2 keeps sessions as store items)."""

    type: Literal["session"]
    session_id: NonEmpty
    user_id: NonEmpty
    created_at: EpochTime
    last_active: EpochTime
    title: StrictStr | None = None
    summary: StrictStr | None = None


class MessageRecord(Record):
    """Version 1 only: one archived message of a session declared before it."""

    type: Literal["message"]
    id: NonEmpty
    session_id: NonEmpty
    user_id: NonEmpty
    seq: StrictInt
    writer: NonEmpty
    ts: EpochTime
    message: dict[str, Any] = Field(description="a LangChain message as messages_to_dict")

    @field_validator("message")
    @classmethod
    def _langchain_message(cls, raw: dict[str, Any]) -> dict[str, Any]:
        decode_legacy_message(raw)
        return raw


def decode_legacy_message(raw: dict[str, Any]) -> BaseMessage:
    """The LangChain message of a version 1 ``message`` record.

    Raises:
        ValueError: It is not a LangChain message.
    """
    try:
        return decode_message(json.dumps(raw))
    except Exception as error:
        raise ValueError(f"'message' is not a LangChain message ({error})") from error
