"""One set of computed page styles for all pages that the same ``@page`` rules select, and their
running heads laid out once (the render helper only).

WeasyPrint computes the styles of a page and of its 16 margin boxes for each page type, and a
page type includes the page's index (for ``:nth()`` selectors): every page of the record got its
own styles, each property computed again when first read (``ComputedStyle.__missing__``) while
laying out the margin boxes — about a tenth of a 1,000-recipient render (31 pages). Pages that
the same page rules select (the same rules match, in the same order; the record's stylesheet has
no ``:nth()`` or named pages, so every page after the first) have the same cascaded declarations
and therefore the same computed styles: :func:`install` wraps WeasyPrint's
``set_page_type_computed_styles`` so that such a page reuses the style objects computed for the
first one. What WeasyPrint later does to them (dropping the ``pages`` counter from
``counter-*``, adding ``counter-increment: page``) gives the same result when done twice.

With the styles shared, the margin boxes of those pages are the same boxes too, except where
their text differs (the page number): the running heads (``string(org)``, ``string(docno)``,
``string(recordid)``) were laid out again on every page, each a Pango line layout — about 6 % of
a 1,000-recipient render. :func:`install` also lays out a margin box only once per document for
the same keyword, style objects, text and geometry, and puts that laid-out box on every page
that has it (boxes are only read when painting; WeasyPrint re-activates a text box's Pango
layout each time it draws it). A margin box with anything but text (an image, a counter that
differs) is laid out as usual.
"""

from __future__ import annotations

from typing import Any

_installed = False


def install() -> None:
    """Wrap ``weasyprint.layout.page.set_page_type_computed_styles`` in this process."""
    global _installed
    if _installed:
        return
    from weasyprint.layout import page

    original = getattr(page, "set_page_type_computed_styles", None)
    if original is None:  # another WeasyPrint: leave it alone
        _installed = True
        return

    def set_page_type_computed_styles(page_type: Any, html: Any, style_for: Any) -> None:
        sheets = getattr(style_for, "_sheets", None)
        page_type_match = getattr(style_for, "_page_type_match", None)
        if sheets is None or page_type_match is None:  # another WeasyPrint's StyleFor
            original(page_type, html, style_for)
            return
        matching = tuple(
            page_type_match(selector[2], page_type)
            for sheet, _origin, _specificity in sheets
            for _rule, selectors, _declarations in sheet.page_rules
            for selector in selectors
        )
        known: dict[tuple[bool, ...], tuple[Any, list[str | None]]] = style_for.__dict__.setdefault(
            "_record_page_styles", {}
        )
        computed = style_for.get_computed_styles()
        if matching not in known:
            original(page_type, html, style_for)
            pseudo_types: list[str | None] = [None]
            pseudo_types += [
                pseudo_type
                for element, pseudo_type in style_for.get_cascaded_styles()
                if pseudo_type and element == page_type
            ]
            known[matching] = (page_type, pseudo_types)
            return
        first, pseudo_types = known[matching]
        for pseudo_type in pseudo_types:
            computed[page_type, pseudo_type] = computed[first, pseudo_type]

    page.set_page_type_computed_styles = set_page_type_computed_styles
    _share_margin_boxes(page)
    _installed = True


def _share_margin_boxes(page: Any) -> None:
    from weasyprint.formatting_structure import boxes

    original = getattr(page, "margin_box_content_layout", None)
    if original is None:
        return

    def content_key(box: Any) -> tuple[Any, ...]:
        parts: list[tuple[Any, ...]] = []
        todo = [box]
        while todo:
            current = todo.pop()
            if isinstance(current, boxes.TextBox):
                parts.append(("text", current.text, id(current.style)))
            elif isinstance(current, boxes.ParentBox):
                parts.append((type(current).__name__, id(current.style), len(current.children)))
                todo.extend(reversed(current.children))
            else:
                raise LookupError(type(current).__name__)
        return tuple(parts)

    def margin_box_content_layout(context: Any, page_box: Any, box: Any) -> Any:
        try:
            key = (
                box.at_keyword,
                box.position_x,
                box.position_y,
                box.width,
                box.height,
                box.margin_top,
                box.margin_right,
                box.margin_bottom,
                box.margin_left,
                content_key(box),  # the styles by identity: the laid-out boxes keep them alive
            )
        except LookupError:
            return original(context, page_box, box)
        laid_out: dict[tuple[Any, ...], Any] = context.__dict__.setdefault(
            "_record_margin_boxes", {}
        )
        if key not in laid_out:
            laid_out[key] = original(context, page_box, box)
        return laid_out[key]

    page.margin_box_content_layout = margin_box_content_layout
