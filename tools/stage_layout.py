"""Draw the staged petition path: the top level by hand, each stage laid out in columns and lanes.

A stage's steps stand in columns by how far they are from the stage's start (the longest way
there, loops left out), in the lane of the role that acts, one row per step sharing a column
in a lane. Boundary events sit on the lower edge of what they are attached to. Lines run right
angles; a flow that goes back (a loop) runs below its lane's rows.
"""

from __future__ import annotations

from lxml import etree
from stage_petition_case import NS, STAGES, el, q, sub

TASK = (100, 80)
EVENT = (36, 36)
GATEWAY = (50, 50)
COLUMN = 170      # column pitch
ROW = 130         # row pitch inside a lane
LEFT = 200        # centre of the first column
LANE_X = 120
LANE_TOP = 60


def _size(node: etree._Element) -> tuple[int, int]:
    local = etree.QName(node).localname
    if local.endswith("Event"):
        return EVENT
    if local.endswith("Gateway"):
        return GATEWAY
    return TASK


def _num(v: float) -> str:
    return str(int(round(v)))


def set_bounds(node: etree._Element, x: float, y: float, w: float, h: float) -> None:
    b = node.find("dc:Bounds", NS)
    if b is None:
        b = sub(node, "dc:Bounds")
    for key, value in zip(("x", "y", "width", "height"), (x, y, w, h), strict=False):
        b.set(key, _num(value))


def add_shape(plane: etree._Element, ident: str, box: list[float], **attrs: str) -> etree._Element:
    shape = sub(plane, "bpmndi:BPMNShape", id=f"{ident}_di", bpmnElement=ident, **attrs)
    set_bounds(shape, *box)
    return shape


def add_label(shape: etree._Element, box: list[float], text: str, above: bool = False, narrow: bool = False) -> None:
    label = sub(shape, "bpmndi:BPMNLabel")
    width = min(max(50, 13 * len(text)), 52 if narrow else 110)
    lines = -(-13 * len(text) // width)
    height = 14 * lines
    y = box[1] - height - 4 if above else box[1] + box[3] + 4
    set_bounds(label, box[0] + box[2] / 2 - width / 2, y, width, height)


def add_edge(plane: etree._Element, ident: str, points: list[tuple[float, float]],
             name: str | None = None) -> etree._Element:
    edge = sub(plane, "bpmndi:BPMNEdge", id=f"{ident}_di", bpmnElement=ident)
    clean: list[tuple[float, float]] = []
    for p in points:
        if not clean or (round(p[0]), round(p[1])) != (round(clean[-1][0]), round(clean[-1][1])):
            clean.append(p)
    for x, y in clean:
        sub(edge, "di:waypoint", x=_num(x), y=_num(y))
    if name:
        # on the last leg, next to where the line arrives: lines leaving one gateway part there
        (x1, y1), (x2, y2) = clean[-2], clean[-1]
        width = min(max(40, 13 * len(name)), 100)
        lines = -(-13 * len(name) // width)
        label = sub(edge, "bpmndi:BPMNLabel")
        if abs(y1 - y2) < 1:   # horizontal: text above it
            x = max(min(x1, x2), max(x1, x2) - width - 8)
            set_bounds(label, x, y1 - 14 * lines - 2, width, 14 * lines)
        else:                  # vertical: text beside it
            set_bounds(label, x1 + 6, min(y1, y2) + (abs(y2 - y1) - 14 * lines) / 2, width, 14 * lines)
    return edge


def route(a: list[float], b: list[float], via_y: float | None = None) -> list[tuple[float, float]]:
    """An orthogonal line from box `a` to box `b`: right side to left side, or over `via_y`."""
    ax, ay = a[0] + a[2], a[1] + a[3] / 2
    bx, by = b[0], b[1] + b[3] / 2
    if via_y is not None:
        top_a = (a[0] + a[2] / 2, a[1] if via_y < a[1] else a[1] + a[3])
        top_b = (b[0] + b[2] / 2, b[1] if via_y < b[1] else b[1] + b[3])
        return [top_a, (top_a[0], via_y), (top_b[0], via_y), top_b]
    if abs(ay - by) < 1:
        return [(ax, ay), (bx, by)]
    if bx > ax + 20:
        # turn in the gap before the target's column, so the line never runs through a step
        mid = min(bx - 15, b[0] + b[2] / 2 - COLUMN / 2) if b[2] < COLUMN else bx - 30
        mid = max(mid, ax + 10)
        return [(ax, ay), (mid, ay), (mid, by), (bx, by)]
    low = max(a[1] + a[3], b[1] + b[3]) + 25
    ax, bx = a[0] + a[2] / 2, b[0] + b[2] / 2
    return [(ax, a[1] + a[3]), (ax, low), (bx, low), (bx, b[1] + b[3])]


def layout(tree: etree._ElementTree) -> None:
    root = tree.getroot()
    proc = root.find("bpmn:process", NS)
    main = root.find("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS)
    shapes = {s.get("bpmnElement"): s for s in main.findall("bpmndi:BPMNShape", NS)}
    anchor = root.find("bpmndi:BPMNDiagram", NS)
    for ident, _name, _doc, _members in STAGES:
        sp = proc.find(f"bpmn:subProcess[@id='{ident}']", NS)
        diagram = el("bpmndi:BPMNDiagram", id=f"{ident}_plane_diagram")
        plane = sub(diagram, "bpmndi:BPMNPlane", id=f"{ident}_plane", bpmnElement=ident)
        anchor.addnext(diagram)
        anchor = diagram
        _draw_stage(sp, plane)
    for child in list(main):
        if child.get("bpmnElement") != "petition_case_participant":
            main.remove(child)
    _draw_top(proc, main, shapes["petition_case_participant"])


def _draw_stage(sp: etree._Element, plane: etree._Element) -> None:
    ident = sp.get("id")
    lanes = list(sp.find("bpmn:laneSet", NS))
    lane_of = {ref.text: lane.get("id") for lane in lanes for ref in lane.findall("bpmn:flowNodeRef", NS)}
    nodes = {n.get("id"): n for n in sp if isinstance(n.tag, str) and n.get("id")
             and n.tag not in (q("bpmn:sequenceFlow"), q("bpmn:laneSet"), q("bpmn:documentation"))}
    flows = sp.findall("bpmn:sequenceFlow", NS)
    host = {nid: n.get("attachedToRef") for nid, n in nodes.items() if n.tag == q("bpmn:boundaryEvent")}
    out: dict[str, list[str]] = {}
    into: dict[str, str] = {}
    for f in flows:
        src = host.get(f.get("sourceRef"), f.get("sourceRef"))
        out.setdefault(src, []).append(f.get("targetRef"))
        into.setdefault(f.get("targetRef"), src)
    # New steps (outcomes, ends) sit in the lane of what leads to them.
    for nid in nodes:
        if nid not in lane_of and nid not in host:
            src = into.get(nid)
            while src is not None and src not in lane_of:
                src = into.get(src)
            if nid == f"{ident}_start":
                first = out[nid][0]
                lane_of[nid] = lane_of.get(first, lanes[0].get("id"))
            else:
                lane_of[nid] = lane_of.get(src, lanes[0].get("id"))
    for nid, h in host.items():
        lane_of[nid] = lane_of[h]
    # Columns: the longest way from the start, loops left out.
    back: set[tuple[str, str]] = set()
    seen: set[str] = set()
    stack: set[str] = set()
    order: list[str] = []

    def visit(n: str) -> None:
        seen.add(n)
        stack.add(n)
        order.append(n)
        for m in out.get(n, []):
            if m in stack:
                back.add((n, m))
            elif m not in seen:
                visit(m)
        stack.discard(n)

    start = f"{ident}_start"
    visit(start)
    column = {n: 0 for n in order}
    for _ in range(len(order)):
        changed = False
        for n in order:
            for m in out.get(n, []):
                if (n, m) not in back and column[m] < column[n] + 1:
                    column[m] = column[n] + 1
                    changed = True
        if not changed:
            break
    # Rows: in each lane, one row per step sharing a column, in the order the steps are reached.
    row: dict[str, int] = {}
    used: dict[tuple[str, int], int] = {}
    for n in order:
        key = (lane_of[n], column[n])
        row[n] = used.get(key, 0)
        used[key] = row[n] + 1
    rows_in = {lane.get("id"): max([used[k] for k in used if k[0] == lane.get("id")] or [1]) for lane in lanes}
    top = LANE_TOP
    band: dict[str, tuple[float, float]] = {}
    for lane in lanes:
        height = rows_in[lane.get("id")] * ROW + 50
        band[lane.get("id")] = (top, height)
        top += height
    boxes: dict[str, list[float]] = {}
    for n in order:
        w, h = _size(nodes[n])
        cx = LEFT + column[n] * COLUMN
        cy = band[lane_of[n]][0] + 25 + ROW / 2 + row[n] * ROW - 10
        boxes[n] = [cx - w / 2, cy - h / 2, w, h]
    per_host: dict[str, int] = {}
    for nid, h in host.items():
        hb = boxes[h]
        i = per_host.get(h, 0)
        per_host[h] = i + 1
        boxes[nid] = [hb[0] + 4 + i * 64, hb[1] + hb[3] - 18, 36, 36]
    right = max(b[0] + b[2] for b in boxes.values()) + 60
    for lane in lanes:
        t, h = band[lane.get("id")]
        shape = el("bpmndi:BPMNShape", id=f"{lane.get('id')}_di", bpmnElement=lane.get("id"), isHorizontal="true")
        set_bounds(shape, LANE_X, t, right - LANE_X, h)
        plane.append(shape)
    for nid, node in nodes.items():
        extra = {}
        if node.tag == q("bpmn:subProcess"):
            extra["isExpanded"] = "false"
        elif node.tag == q("bpmn:exclusiveGateway"):
            extra["isMarkerVisible"] = "true"
        shape = add_shape(plane, nid, boxes[nid], **extra)
        name = node.get("name")
        is_labelled = etree.QName(node).localname.endswith(("Event", "Gateway"))
        if name and is_labelled:
            add_label(shape, boxes[nid], name, above=etree.QName(node).localname.endswith("Gateway"),
                      narrow=nid in host)
    for f in flows:
        src, tgt = f.get("sourceRef"), f.get("targetRef")
        a, b = boxes[src], boxes[tgt]
        s = host.get(src, src)
        if src in host:   # from a boundary event: down, then along to the target
            x = a[0] + a[2] / 2
            hb = boxes[host[src]]
            gap = hb[0] + hb[2] / 2 + COLUMN / 2
            drop = a[1] + a[3] + 14 + 12 * list(host).index(src) % 3
            if b[0] > gap:   # below the host, then down the gap after its column
                pts = [(x, a[1] + a[3]), (x, drop), (gap, drop), (gap, b[1] + b[3] / 2), (b[0], b[1] + b[3] / 2)]
            elif b[0] > x:
                pts = [(x, a[1] + a[3]), (x, b[1] + b[3] / 2), (b[0], b[1] + b[3] / 2)]
            else:
                pts = [(x, a[1] + a[3]), (x, b[1] + b[3] / 2), (b[0] + b[2], b[1] + b[3] / 2)]
        elif (s, tgt) in back:
            low = band[lane_of[src]][0] + band[lane_of[src]][1] - 12
            low = max(low, b[1] + b[3] + 15) if lane_of[src] == lane_of[tgt] else low
            pts = [(a[0] + a[2] / 2, a[1] + a[3]), (a[0] + a[2] / 2, low), (b[0] + b[2] / 2, low),
                   (b[0] + b[2] / 2, b[1] + b[3])]
            if lane_of[src] != lane_of[tgt]:
                pts[-1] = (b[0] + b[2] / 2, b[1] if b[1] > low else b[1] + b[3])
        else:
            pts = route(a, b)
        add_edge(plane, f.get("id"), pts, f.get("name"))


def _draw_top(proc: etree._Element, plane: etree._Element, participant: etree._Element) -> None:
    """The top level by hand: the nine stages left to right, the clock and 复查复核 below."""
    row = 300
    boxes: dict[str, list[float]] = {}
    x = 230.0
    order = ["case_registered_start", "stage_register", "register_route_gateway", "reopen_merge", "stage_triage",
             "handling_split", "stage_field_work", "stage_inquiry", "stage_resolve", "stage_reply", "reply_split",
             "stage_closing", "closing_route_gateway", "stage_follow_up", "follow_up_route_gateway", "case_closed_end"]
    nodes = {n.get("id"): n for n in proc if isinstance(n.tag, str) and n.get("id")}

    def size(ident: str) -> tuple[int, int]:
        return (100, 80) if nodes[ident].tag == q("bpmn:subProcess") else _size(nodes[ident])

    for ident in order:
        w, h = size(ident)
        boxes[ident] = [x, row - h / 2, w, h]
        x += w + 40

    def near(ident: str, other: str, dy: float, dx: float = 0) -> None:
        u = boxes[other]
        w, h = size(ident)
        boxes[ident] = [u[0] + u[2] / 2 - w / 2 + dx, row + dy - h / 2, w, h]

    near("registration_finished_end", "register_route_gateway", 170)
    near("deadline_watch", "stage_field_work", 170, 30)
    near("deadline_watch_end_top", "stage_inquiry", 170, 50)
    near("stage_review", "stage_closing", 170, 30)
    near("review_done_end", "closing_route_gateway", 170, 50)
    near("rehandle_merge", "closing_route_gateway", -170)
    near("reopen_for_rehandling", "stage_triage", -170, 120)
    d = boxes["deadline_watch"]
    boxes["handling_finished_boundary"] = [d[0] + d[2] - 40, d[1] + d[3] - 18, 36, 36]
    hb = boxes["handling_finished_boundary"]
    boxes["deadline_watch_stopped_end"] = [hb[0] + 70, hb[1] + 60, 36, 36]
    for ident, b in boxes.items():
        extra = {}
        if nodes[ident].tag == q("bpmn:subProcess"):
            extra["isExpanded"] = "false"
        elif nodes[ident].tag == q("bpmn:exclusiveGateway"):
            extra["isMarkerVisible"] = "true"
        shape = add_shape(plane, ident, b, **extra)
        name = nodes[ident].get("name")
        if name and etree.QName(nodes[ident]).localname.endswith(("Event", "Gateway")):
            add_label(shape, b, name, above=ident in ("closing_route_gateway", "follow_up_route_gateway"))
    right = max(b[0] + b[2] for b in boxes.values()) + 60
    set_bounds(participant, 160, 40, right - 160, 600)
    via = {"flow_follow_up_route_gateway_to_reopen_merge": 70, "flow_follow_up_route_gateway_to_rehandle_merge": 90,
           "flow_closing_route_gateway_to_stage_inquiry": 200, "flow_closing_route_gateway_to_stage_resolve": 215,
           "flow_closing_route_gateway_to_stage_reply": 230}
    for f in proc.findall("bpmn:sequenceFlow", NS):
        fid, src, tgt = f.get("id"), f.get("sourceRef"), f.get("targetRef")
        a, b = boxes[src], boxes[tgt]
        ac, bc = a[0] + a[2] / 2, b[0] + b[2] / 2
        if fid in via:
            pts = route(a, b, via_y=via[fid])
        elif fid == "flow_reopen_for_rehandling_to_reopen_merge":
            pts = [(a[0], a[1] + a[3] / 2), (bc, a[1] + a[3] / 2), (bc, b[1])]
        elif b[1] + b[3] < a[1]:   # straight up
            pts = [(ac, a[1]), (ac, b[1] + b[3])] if abs(ac - bc) < 5 else route(a, b)
        elif abs(ac - bc) < 5 and b[1] > a[1] + a[3]:
            pts = [(ac, a[1] + a[3]), (bc, b[1])]
        elif b[1] > a[1] + a[3]:   # down into the row below
            pts = [(ac, a[1] + a[3]), (ac, b[1] + b[3] / 2), (b[0], b[1] + b[3] / 2)]
        elif fid == "flow_rehandle_merge_to_reopen_for_rehandling":
            pts = [(a[0], a[1] + a[3] / 2), (b[0] + b[2], b[1] + b[3] / 2)]
        else:
            pts = route(a, b)
        add_edge(plane, fid, pts, f.get("name"))
