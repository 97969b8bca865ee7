"""DisplayItem's and Item's fields read apart from the display item: media, subscription
plans, localized sizes (one read for every display item of the answer, when first asked)."""

from __future__ import annotations

from typing import Any

from ariadne import ObjectType
from graphql import GraphQLResolveInfo

from dtc_api.shop.catalog import STANDARD, media_source
from dtc_api.storefront.context import context

display_item = ObjectType("DisplayItem")
item = ObjectType("Item")
product_media = ObjectType("ProductMedia")
localized_size = ObjectType("LocalizedSize")
bundle_section = ObjectType("BundleSection")
category_type = ObjectType("Category")
size_name_value = ObjectType("SizeNameFilterValue")


async def _extras(view: dict[str, Any], info: GraphQLResolveInfo) -> dict[str, Any]:
    return await view["extras"].get(context(info).runtime.db.reads)  # type: ignore[no-any-return]


@display_item.field("media")
async def resolve_media(view: dict[str, Any], info: GraphQLResolveInfo) -> list[dict[str, Any]]:
    return (await _extras(view, info))["media"].get(view["id"], [])  # type: ignore[no-any-return]


@display_item.field("subscriptionPlans")
async def resolve_plans(view: dict[str, Any], info: GraphQLResolveInfo) -> list[dict[str, Any]]:
    return (await _extras(view, info))["plans"].get(view["id"], [])  # type: ignore[no-any-return]


@item.field("sizeLocalization")
async def resolve_sizes(view: dict[str, Any], info: GraphQLResolveInfo) -> list[dict[str, Any]]:
    return (await _extras(view, info))["sizes"].get(view["id"], [])  # type: ignore[no-any-return]


@size_name_value.field("sizeLocalization")
async def resolve_named_sizes(value: dict[str, Any], info: GraphQLResolveInfo
                              ) -> list[dict[str, Any]]:
    named = await value["sizes"].get(context(info).runtime.db.reads)
    return named.get(value["value"], [])  # type: ignore[no-any-return]


@product_media.field("source")
def resolve_source(medium: dict[str, Any], info: GraphQLResolveInfo, sizeName: str = STANDARD
                   ) -> dict[str, Any]:
    return media_source(medium, sizeName, context(info).base_url)


@localized_size.field("countries")
def resolve_countries(size: dict[str, Any], info: GraphQLResolveInfo) -> list[dict[str, Any]]:
    geography = context(info).geography
    return [geography.country(code) for code in size["countries"]
            if code in geography.countries]


@bundle_section.field("items")
async def resolve_section_items(section: dict[str, Any], info: GraphQLResolveInfo
                                ) -> list[dict[str, Any]]:
    members = await section["extras"].members(context(info).runtime.db.reads)
    return [members[i] for i in section["memberIds"] if i in members]


async def _texts(view: dict[str, Any], info: GraphQLResolveInfo) -> dict[str, Any]:
    return await view["extras"].texts(context(info).runtime.db.reads)  # type: ignore[no-any-return]


def _with_language(info: GraphQLResolveInfo, texts: list[dict[str, Any]]
                   ) -> list[dict[str, Any]]:
    geography = context(info).geography
    return [{**text, "language": geography.language(text["language"])} for text in texts
            if text["language"] in geography.languages]


def _own_text(name: str) -> Any:
    """A text or date of the display item's own (read apart, only when asked for)."""
    async def resolve(view: dict[str, Any], info: GraphQLResolveInfo) -> Any:
        return (await _texts(view, info))["own"][view["id"]][name]
    return resolve


for _name in ("description", "shortDescription", "createdAt", "modifiedAt"):
    display_item.set_field(_name, _own_text(_name))


@display_item.field("translations")
async def resolve_translations(view: dict[str, Any], info: GraphQLResolveInfo
                               ) -> list[dict[str, Any]]:
    return _with_language(info, (await _texts(view, info))["translations"].get(view["id"], []))


@category_type.field("translations")
def resolve_category_translations(category: dict[str, Any], info: GraphQLResolveInfo
                                  ) -> list[dict[str, Any]]:
    return _with_language(info, category["translations"])


@display_item.field("relatedDisplayItems")
async def resolve_related(view: dict[str, Any], info: GraphQLResolveInfo,
                          relationType: list[str] | None = None) -> list[dict[str, Any]]:
    relations = (await _texts(view, info))["relations"]
    mine = relations.get(view["id"], {})
    wanted = [r for r in mine if not relationType or r in relationType]
    if not wanted:
        return []
    every = {i for found in relations.values() for ids in found.values() for i in ids}
    others = await view["extras"].related(context(info).runtime.db.reads, every)
    return [{"relation": relation,
             "displayItems": [others[i] for i in mine[relation] if i in others]}
            for relation in wanted]


@display_item.field("attributes")
async def resolve_attributes(view: dict[str, Any], info: GraphQLResolveInfo,
                             keys: list[str] | None = None) -> list[dict[str, Any]]:
    found = (await _texts(view, info))["attributes"].get(view["id"], {})
    return [a for name, a in found.items() if not keys or name in keys]


bindables = [display_item, item, size_name_value, product_media, localized_size,
             bundle_section,
             category_type]
