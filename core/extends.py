"""Django's ``{% extends %}``, its blocks found once per parent template (issue 17).

At each render, Django's ``ExtendsNode`` walks the whole node tree of the root template (the
layout, ``base.html``) to find its ``{% block %}`` nodes: about two hundred calls per page for a
result that depends on nothing but the compiled template, which the cached loader keeps for the
process. This node keeps that result on the parent ``Template`` object and otherwise renders as
Django's does (same block context, same history of extended templates, same errors). It replaces
the built-in tag through ``TEMPLATES["OPTIONS"]["builtins"]`` (a later library's tag wins), so
every template's ``{% extends %}`` is this one; tests/core/test_extends.py renders the same."""

from __future__ import annotations

from typing import Any

from django import template
from django.template import loader_tags
from django.template.base import TextNode
from django.template.loader_tags import BLOCK_CONTEXT_KEY, BlockContext, BlockNode, ExtendsNode

register = template.Library()

#: The attribute of a parent template holding its blocks (None: the parent extends another).
_ROOT_BLOCKS = "_anef_root_blocks"
_UNKNOWN: Any = object()


def root_blocks(parent: template.Template) -> dict[str, BlockNode] | None:
    """The ``{% block %}`` nodes of a template that extends no other, by name, as Django's
    ``ExtendsNode.render`` finds them; None for a template that extends another."""
    for node in parent.nodelist:
        # The ExtendsNode has to be the first non-text node.
        if not isinstance(node, TextNode):
            if not isinstance(node, ExtendsNode):
                return {n.name: n for n in parent.nodelist.get_nodes_by_type(BlockNode)}  # type: ignore[attr-defined,misc]
            return None
    return None


class KeptBlocksExtendsNode(ExtendsNode):
    """``ExtendsNode`` whose parent's blocks are found once per compiled parent template."""

    def render(self, context):
        compiled_parent = self.get_parent(context)

        if BLOCK_CONTEXT_KEY not in context.render_context:
            context.render_context[BLOCK_CONTEXT_KEY] = BlockContext()
        block_context = context.render_context[BLOCK_CONTEXT_KEY]

        # Add the block nodes from this node to the block context
        block_context.add_blocks(self.blocks)

        # A root parent's block nodes also go into the block context (add_blocks only reads them).
        blocks = compiled_parent.__dict__.get(_ROOT_BLOCKS, _UNKNOWN)
        if blocks is _UNKNOWN:
            blocks = root_blocks(compiled_parent)
            setattr(compiled_parent, _ROOT_BLOCKS, blocks)
        if blocks is not None:
            block_context.add_blocks(blocks)

        # Call Template._render explicitly so the parser context stays the same.
        with context.render_context.push_state(compiled_parent, isolated_context=False):
            return compiled_parent._render(context)


@register.tag("extends")
def do_extends(parser, token):
    """Django's ``{% extends %}`` (same checks and errors), giving a ``KeptBlocksExtendsNode``."""
    node = loader_tags.do_extends(parser, token)
    return KeptBlocksExtendsNode(node.nodelist, node.parent_name)
