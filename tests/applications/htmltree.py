"""A page's elements for the tests, from Django's own HTML parser (``django.test.html``): find
by tag, id, attribute or class, read text and attributes."""

from collections.abc import Iterator

from django.test.html import Element, parse_html


class Node:
    def __init__(self, element: Element):
        self.element = element
        self.name = element.name
        self.attrs = {name: ("" if value is None else value) for name, value in element.attributes}

    def __getitem__(self, name: str) -> str:
        return self.attrs[name]

    def get(self, name: str, default=None):
        return self.attrs.get(name, default)

    def has_attr(self, name: str) -> bool:
        return name in self.attrs

    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    def descendants(self) -> Iterator["Node"]:
        for child in self.element.children:
            if isinstance(child, Element):
                node = Node(child)
                yield node
                yield from node.descendants()

    def find_all(self, name: str | None = None, attrs: dict | None = None, cls: str | None = None) -> list["Node"]:
        found = []
        for node in self.descendants():
            if name is not None and node.name != name:
                continue
            if cls is not None and cls not in node.classes():
                continue
            if attrs and any(node.attrs.get(key) != value for key, value in attrs.items()):
                continue
            found.append(node)
        return found

    def find(self, name: str | None = None, attrs: dict | None = None, cls: str | None = None, id: str | None = None):
        if id is not None:
            attrs = {**(attrs or {}), "id": id}
        found = self.find_all(name, attrs, cls)
        return found[0] if found else None

    def get_text(self, separator: str = " ") -> str:
        parts: list[str] = []

        def collect(element):
            for child in element.children:
                if isinstance(child, Element):
                    collect(child)
                else:
                    parts.append(str(child))

        collect(self.element)
        return " ".join(separator.join(part.strip() for part in parts if part.strip()).split())


def tree(response) -> Node:
    return Node(parse_html(response.content.decode()))
