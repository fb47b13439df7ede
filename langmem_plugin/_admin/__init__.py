"""Operating on a memory: users, transfer, maintenance and forgetting.

What the ``langmem`` command line, the web UI and ``Memory``'s own operations
(``stats``, ``cleanup``, ``export``, ``forget_user``...) call. Each helper is a function
taking a ``Memory`` (rather than a method on it) so that the command line stays a thin
layer and the helpers can be used from Python as well::

    from langmem_plugin._admin import forget_user, open_memory

    with open_memory(path="./.memory") as memory:
        report = forget_user(memory, "ada")
        print(report.render())

Modules:

* ``_open``: ``open_memory`` by location, with errors worded in parameter names;
* ``_users``: list, search and delete users (``delete_user_data``);
* ``_forget``: forgetting that leaves no byte behind (``forget_user``, ``forget_query``);
* ``_export`` and ``_export_checkpoints``: the JSON Lines export format, both ways;
* ``_backup``: consistent copies of a memory folder;
* ``_maintenance``: counts, sizes and idle-thread cleanup.

Every whole-namespace read goes through the one pager, ``langmem_plugin._paging``.
"""

from langmem_plugin._admin._open import chroma_store, history_storage, open_memory
from langmem_plugin._admin._users import (
    ForgetReport,
    UserSummary,
    delete_user_data,
    forget_user,
    list_users,
    search_user,
    user_namespaces,
)

__all__ = [
    "ForgetReport",
    "UserSummary",
    "chroma_store",
    "delete_user_data",
    "forget_user",
    "history_storage",
    "list_users",
    "open_memory",
    "search_user",
    "user_namespaces",
]
