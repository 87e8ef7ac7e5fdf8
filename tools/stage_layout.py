"""Draw the staged petition path: the top level by hand, each stage from the flat picture's layout.

Every element moved into a stage keeps its place relative to its neighbours from the flat
picture; the stage's plane packs the columns (gaps closed) and keeps only the lanes of the
roles that act in it, each lane as tall as its content. New elements (a stage's start, its
outcome steps and ends) are placed in the flat picture's coordinates first, so they are packed
with the rest.
"""

from __future__ import annotations

import bisect

from lxml import etree

from stage_petition_case import NS, STAGES, el, q, sub

TASK = (100, 80)
EVENT = (36, 36)
GATEWAY = (50, 50)
GAP = 50          # what is left of an empty column run
LANE_PAD = 40     # above and below a lane's content
LEFT = 230        # a stage's content starts here (the start event to its left)


def _size(node: etree._Element) -> tuple[int, int]:
    local = etree.QName(node).localname
    if local.endswith("Event"):
        return EVENT
    if local.endswith("Gateway"):
        return GATEWAY
    return TASK


class Plane:
    """A BPMN plane's shapes and edges, by element id."""

    def __init__(self, plane: etree._Element) -> None:
        self.plane = plane
        self.shapes = {s.get("bpmnElement"): s for s in plane.findall("bpmndi:BPMNShape", NS)}
        self.edges = {e.get("bpmnElement"): e for e in plane.findall("bpmndi:BPMNEdge", NS)}


def bounds(shape: etree._Element) -> list[float]:
    b = shape.find("dc:Bounds", NS)
    return [float(b.get(k)) for k in ("x", "y", "width", "height")]


def set_bounds(node: etree._Element, x: float, y: float, w: float, h: float) -> None:
    b = node.find("dc:Bounds", NS)
    if b is None:
        b = sub(node, "dc:Bounds")
    for key, value in zip(("x", "y", "width", "height"), (x, y, w, h)):
        b.set(key, _num(value))


def _num(v: float) -> str:
    return str(int(round(v)))


def add_shape(plane: etree._Element, ident: str, x: float, y: float, w: float, h: float, **attrs: str) -> etree._Element:
    shape = sub(plane, "bpmndi:BPMNShape", id=f"{ident}_di", bpmnElement=ident, **attrs)
    set_bounds(shape, x, y, w, h)
    return shape


def add_edge(plane: etree._Element, ident: str, points: list[tuple[float, float]]) -> etree._Element:
    edge = sub(plane, "bpmndi:BPMNEdge", id=f"{ident}_di", bpmnElement=ident)
    clean: list[tuple[float, float]] = []
    for p in points:
        if not clean or (round(p[0]), round(p[1])) != (round(clean[-1][0]), round(clean[-1][1])):
            clean.append(p)
    for x, y in clean:
        sub(edge, "di:waypoint", x=_num(x), y=_num(y))
    return edge


def route(a: list[float], b: list[float], via_y: float | None = None) -> list[tuple[float, float]]:
    """An orthogonal line from shape box `a` to box `b` (right side to left side; above via_y)."""
    ax, ay = a[0] + a[2], a[1] + a[3] / 2
    bx, by = b[0], b[1] + b[3] / 2
    if via_y is not None:
        top_a = (a[0] + a[2] / 2, a[1] if via_y < a[1] else a[1] + a[3])
        top_b = (b[0] + b[2] / 2, b[1] if via_y < b[1] else b[1] + b[3])
        return [top_a, (top_a[0], via_y), (top_b[0], via_y), top_b]
    if abs(ay - by) < 1:
        return [(ax, ay), (bx, by)]
    if bx > ax + 20:
        mid = bx - 25
        return [(ax, ay), (mid, ay), (mid, by), (bx, by)]
    # backwards: leave downwards, come in from below
    low = max(a[1] + a[3], b[1] + b[3]) + 30
    return [(a[0] + a[2] / 2, a[1] + a[3]), (a[0] + a[2] / 2, low), (b[0] + b[2] / 2, low), (b[0] + b[2] / 2, b[1] + b[3])]


def layout(tree: etree._ElementTree) -> None:
    root = tree.getroot()
    proc = root.find("bpmn:process", NS)
    main = Plane(root.find("bpmndi:BPMNDiagram/bpmndi:BPMNPlane", NS))
    lane_band = {}
    for ident, shape in list(main.shapes.items()):
        if ident.startswith("lane_"):
            x, y, w, h = bounds(shape)
            lane_band[ident.removeprefix("lane_")] = (y, y + h)
            main.plane.remove(main.shapes.pop(ident))
    anchor = root.find("bpmndi:BPMNDiagram", NS)
    for ident, _name, _doc, _members in STAGES:
        sp = proc.find(f"bpmn:subProcess[@id='{ident}']", NS)
        diagram = el("bpmndi:BPMNDiagram", id=f"{ident}_plane_diagram")
        plane = sub(diagram, "bpmndi:BPMNPlane", id=f"{ident}_plane", bpmnElement=ident)
        anchor.addnext(diagram)
        anchor = diagram
        _draw_stage(sp, main, plane, lane_band)
    _draw_top(proc, main)


def _draw_stage(sp: etree._Element, main: Plane, plane: etree._Element, lane_band: dict) -> None:
    ident = sp.get("id")
    lane_of = {}
    for lane in sp.find("bpmn:laneSet", NS):
        role = lane.get("id").partition("_lane_")[2]
        for ref in lane.findall("bpmn:flowNodeRef", NS):
            lane_of[ref.text] = role
    nodes = {n.get("id"): n for n in sp if isinstance(n.tag, str) and n.get("id")
             and n.tag not in (q("bpmn:sequenceFlow"), q("bpmn:laneSet"), q("bpmn:documentation"))}
    flows = sp.findall("bpmn:sequenceFlow", NS)
    boxes: dict[str, list[float]] = {}
    shapes: dict[str, etree._Element] = {}
    for nid in nodes:
        if nid in main.shapes:
            shape = main.shapes.pop(nid)
            main.plane.remove(shape)
            plane.append(shape)
            shapes[nid] = shape
            boxes[nid] = bounds(shape)
    old_right = max(b[0] + b[2] for b in boxes.values())
    # New elements, placed in the flat picture's coordinates.
    placed: list[list[float]] = []

    def free(x: float, y: float, w: float, h: float) -> list[float]:
        box = [x, y, w, h]
        while any(abs(o[0] - box[0]) < 120 and abs(o[1] + o[3] / 2 - (box[1] + box[3] / 2)) < 70 for o in placed):
            box[1] += 90
        placed.append(box)
        return box

    sources = {f.get("targetRef"): f.get("sourceRef") for f in flows}
    targets = {f.get("sourceRef"): f.get("targetRef") for f in flows}
    new = [n for n in nodes if n not in boxes]
    start = f"{ident}_start"
    first = boxes[targets[start]]
    x0 = min(b[0] for b in boxes.values())
    cy = first[1] + first[3] / 2
    boxes[start] = [x0 - 90, cy - 18, 36, 36]
    lane_of[start] = lane_of[targets[start]]
    # outcome steps in a column right of everything, ends right of them
    for nid in new:
        if nid == start or nid.endswith("_end"):
            continue
        src = sources[nid]
        sb = boxes[src]
        w, h = _size(nodes[nid])
        boxes[nid] = free(old_right + 80, sb[1] + sb[3] / 2 - h / 2, w, h)
        lane_of[nid] = lane_of[src]
    for nid in new:
        if nid == start or not nid.endswith("_end") or nid in boxes:
            continue
        src = sources[nid]
        sb = boxes[src]
        if src in new:
            boxes[nid] = [sb[0] + sb[2] + 60, sb[1] + sb[3] / 2 - 18, 36, 36]
        else:
            boxes[nid] = free(old_right + 80, sb[1] + sb[3] / 2 - 18, 36, 36)
        lane_of[nid] = lane_of[src]
    # Boundary events live in the lane of what they are attached to.
    for nid, node in nodes.items():
        if node.tag == q("bpmn:boundaryEvent") and nid not in lane_of:
            lane_of[nid] = lane_of.get(node.get("attachedToRef"))
    # x: close the empty column runs.
    spans = sorted((b[0], b[0] + b[2]) for b in boxes.values())
    for shape in shapes.values():
        label = shape.find("bpmndi:BPMNLabel/dc:Bounds", NS)
        if label is not None:
            lx, lw = float(label.get("x")), float(label.get("width"))
            spans.append((lx, lx + lw))
    spans.sort()
    runs: list[list[float]] = []
    for a, b in spans:
        if runs and a <= runs[-1][1] + GAP:
            runs[-1][1] = max(runs[-1][1], b)
        else:
            runs.append([a, b])
    starts = [r[0] for r in runs]
    shift = []
    pos = LEFT - 90 - 20
    for a, b in runs:
        shift.append(pos - a)
        pos += (b - a) + GAP

    def mx(x: float) -> float:
        i = max(0, bisect.bisect_right(starts, x) - 1)
        return x + shift[i]

    # y: each role's lane as tall as its content, in the office's order.
    roles = [lane.get("id").partition("_lane_")[2] for lane in sp.find("bpmn:laneSet", NS)]
    extent: dict[str, list[float]] = {}
    for nid, b in boxes.items():
        role = lane_of.get(nid)
        lo, hi = b[1], b[1] + b[3]
        shape = shapes.get(nid)
        label = shape.find("bpmndi:BPMNLabel/dc:Bounds", NS) if shape is not None else None
        if label is not None:
            lo, hi = min(lo, float(label.get("y"))), max(hi, float(label.get("y")) + float(label.get("height")))
        e = extent.setdefault(role, [lo, hi])
        e[0], e[1] = min(e[0], lo), max(e[1], hi)
    top = 80.0
    band: dict[str, tuple[float, float, float]] = {}
    for role in roles:
        lo, hi = extent[role]
        height = max(hi - lo + 2 * LANE_PAD, 140)
        band[role] = (top, height, top + (height - (hi - lo)) / 2 - lo)
        top += height

    def my(y: float, role: str | None = None) -> float:
        if role in band:
            return y + band[role][2]
        # a waypoint: the lane it was drawn in, clamped to that lane's new band
        for r, (lo, hi) in sorted(lane_band.items(), key=lambda kv: kv[1][0]):
            if lo <= y < hi:
                if r in band:
                    t, h, off = band[r]
                    return min(max(y + off, t + 5), t + h - 5)
                later = [band[o][0] for o in roles if lane_band[o][0] >= hi]
                return later[0] if later else top
        return y

    for nid, b in boxes.items():
        role = lane_of.get(nid)
        nb = [mx(b[0]), my(b[1], role), b[2], b[3]]
        boxes[nid] = nb
        shape = shapes.get(nid)
        if shape is None:
            extra = {"isExpanded": "false"} if nodes[nid].tag == q("bpmn:subProcess") else {}
            shape = add_shape(plane, nid, *nb, **extra)
            shapes[nid] = shape
        else:
            old = bounds(shape)
            set_bounds(shape, *nb)
            label = shape.find("bpmndi:BPMNLabel", NS)
            if label is not None:
                lb = bounds(label)
                set_bounds(label, lb[0] - old[0] + nb[0], lb[1] - old[1] + nb[1], lb[2], lb[3])
    right = max(b[0] + b[2] for b in boxes.values()) + 60
    for lane in sp.find("bpmn:laneSet", NS):
        role = lane.get("id").partition("_lane_")[2]
        t, h, _ = band[role]
        shape = el("bpmndi:BPMNShape", id=f"{lane.get('id')}_di", bpmnElement=lane.get("id"), isHorizontal="true")
        set_bounds(shape, 120, t, right - 120, h)
        plane.insert(0, shape)
    # Edges: the flat picture's where both ends kept their shapes, new lines elsewhere.
    for f in flows:
        fid = f.get("id")
        old_edge = main.edges.pop(fid, None)
        src, tgt = f.get("sourceRef"), f.get("targetRef")
        if old_edge is not None:
            main.plane.remove(old_edge)
        if old_edge is not None and src not in new and tgt not in new and src != start:
            plane.append(old_edge)
            for wp in old_edge.findall("di:waypoint", NS):
                x, y = float(wp.get("x")), float(wp.get("y"))
                wp.set("x", _num(mx(x)))
                wp.set("y", _num(my(y)))
            label = old_edge.find("bpmndi:BPMNLabel", NS)
            if label is not None:
                lb = bounds(label)
                set_bounds(label, mx(lb[0]), my(lb[1]), lb[2], lb[3])
            # keep the ends on the shapes they join (a lane packed differently may move them)
            _snap(old_edge, boxes[src], boxes[tgt])
        else:
            add_edge(plane, fid, route(boxes[src], boxes[tgt]))


def _snap(edge: etree._Element, a: list[float], b: list[float]) -> None:
    wps = edge.findall("di:waypoint", NS)
    for wp, box in ((wps[0], a), (wps[-1], b)):
        x, y = float(wp.get("x")), float(wp.get("y"))
        x = min(max(x, box[0]), box[0] + box[2])
        y = min(max(y, box[1]), box[1] + box[3])
        wp.set("x", _num(x))
        wp.set("y", _num(y))


def _draw_top(proc: etree._Element, main: Plane) -> None:
    """The top level by hand: the nine stages left to right, the clock and 复查复核 below."""
    plane = main.plane
    for ident in list(main.shapes):
        if ident != "petition_case_participant":
            plane.remove(main.shapes.pop(ident))
    for ident in list(main.edges):
        plane.remove(main.edges.pop(ident))
    row = 300
    boxes: dict[str, list[float]] = {}
    x = 230.0
    order = ["case_registered_start", "stage_register", "register_route_gateway", "reopen_merge", "stage_triage",
             "handling_split", "stage_field_work", "inquiry_merge", "stage_inquiry", "plan_merge", "stage_resolve",
             "reply_merge", "stage_reply", "reply_split", "stage_closing", "closing_route_gateway",
             "stage_follow_up", "follow_up_route_gateway", "case_closed_end"]
    nodes = {n.get("id"): n for n in proc if isinstance(n.tag, str) and n.get("id")}
    for ident in order:
        w, h = (120, 80) if ident.startswith("stage_") else _size(nodes[ident])
        boxes[ident] = [x, row - h / 2, w, h]
        x += w + 55
    def below(ident: str, under: str, dy: float = 170, dx: float = 0) -> None:
        u = boxes[under]
        w, h = (120, 80) if nodes[ident].tag == q("bpmn:subProcess") else _size(nodes[ident])
        boxes[ident] = [u[0] + u[2] / 2 - w / 2 + dx, row + dy - h / 2, w, h]
    below("registration_finished_end", "register_route_gateway")
    below("deadline_watch", "stage_field_work", dx=40)
    below("deadline_watch_end_top", "stage_inquiry", dx=40)
    below("stage_review", "stage_closing", dx=60)
    below("review_done_end", "closing_route_gateway", dx=60)
    below("rehandle_merge", "closing_route_gateway", dy=-170)
    below("reopen_for_rehandling", "stage_triage", dy=-170, dx=120)
    d = boxes["deadline_watch"]
    boxes["handling_finished_boundary"] = [d[0] + d[2] - 40, d[1] + d[3] - 18, 36, 36]
    hb = boxes["handling_finished_boundary"]
    boxes["deadline_watch_stopped_end"] = [hb[0] + 70, hb[1] + 80, 36, 36]
    for ident, b in boxes.items():
        extra = {}
        if nodes[ident].tag == q("bpmn:subProcess"):
            extra["isExpanded"] = "false"
        elif nodes[ident].tag == q("bpmn:exclusiveGateway"):
            extra["isMarkerVisible"] = "true"
        shape = add_shape(plane, ident, *b, **extra)
        name = nodes[ident].get("name")
        if name and not nodes[ident].tag in (q("bpmn:subProcess"), q("bpmn:scriptTask")):
            label = sub(shape, "bpmndi:BPMNLabel")
            lw = max(60, 14 * len(name))
            above = ident.endswith("_gateway") and ident not in ("register_route_gateway",)
            ly = b[1] - 30 if above else b[1] + b[3] + 6
            set_bounds(label, b[0] + b[2] / 2 - lw / 2, ly, lw, 20)
    participant = main.shapes["petition_case_participant"]
    right = max(b[0] + b[2] for b in boxes.values()) + 60
    set_bounds(participant, 160, 40, right - 160, 540)
    lanes_y = {"flow_follow_up_route_gateway_to_reopen_merge": 70, "flow_closing_route_gateway_to_inquiry_merge": 170,
               "flow_closing_route_gateway_to_plan_merge": 190, "flow_closing_route_gateway_to_reply_merge": 210,
               "flow_follow_up_route_gateway_to_rehandle_merge": 90}
    down_y = {}
    for f in proc.findall("bpmn:sequenceFlow", NS):
        fid, src, tgt = f.get("id"), f.get("sourceRef"), f.get("targetRef")
        a, b = boxes[src], boxes[tgt]
        if fid in lanes_y:
            pts = route(a, b, via_y=lanes_y[fid])
        elif fid == "flow_closing_route_gateway_to_rehandle_merge":
            pts = [(a[0] + a[2] / 2, a[1]), (a[0] + a[2] / 2, b[1] + b[3] / 2), (b[0] + b[2], b[1] + b[3] / 2)] \
                if False else [(a[0] + a[2] / 2, a[1]), (a[0] + a[2] / 2, b[1] + b[3])]
        elif fid == "flow_rehandle_merge_to_reopen_for_rehandling":
            pts = [(a[0], a[1] + a[3] / 2), (b[0] + b[2], b[1] + b[3] / 2)]
        elif fid == "flow_reopen_for_rehandling_to_reopen_merge":
            pts = [(a[0], a[1] + a[3] / 2), (b[0] + b[2] / 2, a[1] + a[3] / 2), (b[0] + b[2] / 2, b[1])]
        elif b[1] > a[1] + a[3] and abs((a[0] + a[2] / 2) - (b[0] + b[2] / 2)) < 5:
            pts = [(a[0] + a[2] / 2, a[1] + a[3]), (b[0] + b[2] / 2, b[1])]
        elif b[1] > a[1] + a[3]:   # down into the row below
            pts = [(a[0] + a[2] / 2, a[1] + a[3]), (a[0] + a[2] / 2, b[1] + b[3] / 2), (b[0], b[1] + b[3] / 2)]
            if src.endswith("_boundary"):
                pts = [(a[0] + a[2] / 2, a[1] + a[3]), (a[0] + a[2] / 2, b[1] + b[3] / 2), (b[0], b[1] + b[3] / 2)]
        else:
            pts = route(a, b)
        add_edge(plane, fid, pts)
