"""Model answers shared by tests: correct bodies for the fixture specs' slots."""

# The items spec's one slot (POST /items/{itemId}/archive), as a model writes it.
ARCHIVE_ANSWER = """```python
def archive_item(*, item_id: int, store: Store) -> Any:
    found = store.update("items", item_id, {"status": "archived"})
    if found is None:
        raise ApiError(404, "no such item")
    return found
```"""
