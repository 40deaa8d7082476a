"""Read-only questions answered live from K/3: an order's progress, a material's stock."""

from __future__ import annotations

from actions.base import TurnAction, blocking
from rasa_project import wiring
from rasa_project.authz.roles import ORDER_QUERY, STOCK_QUERY
from rasa_project.chat import views
from rasa_project.mapping import get_mapping


class ActionQueryOrder(TurnAction):
    permission = ORDER_QUERY

    def name(self) -> str:
        return "action_query_order"

    async def handle(self, turn, reply, tracker, domain):
        bill_no = turn.entity("order_no")
        if not bill_no:
            reply.say("ask.which_order")
            return []
        order = await blocking(wiring.k3().get_order, bill_no)
        if order is None:
            reply.say("order.not_found", bill_no=bill_no)
            return []
        reply.text(views.order_progress(order, get_mapping(), turn.lang), key="order.status_line")
        return []


class ActionQueryStock(TurnAction):
    permission = STOCK_QUERY

    def name(self) -> str:
        return "action_query_stock"

    async def handle(self, turn, reply, tracker, domain):
        code = turn.entity("material")
        if not code:
            reply.say("ask.which_material")
            return []
        mapping = get_mapping()
        mapped = mapping.material(code)
        if mapped is None:
            reply.say("stock.unknown_material", material=code)
            return []
        k3 = wiring.k3()
        levels = await blocking(k3.stock_of, [mapped.k3_number])
        material = await blocking(k3.find_material, mapped.k3_number)
        line = views.stock_line(mapped.k3_number, levels.get(mapped.k3_number), material, mapping, turn.lang)
        reply.text(line, key="stock.line")
        return []
