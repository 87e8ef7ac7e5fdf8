// User pickers: a <select> of the active users holding a role (it works without JavaScript)
// becomes a searchable list: type part of a name, user name or unit, move with the arrow
// keys, Enter or a click chooses. What the user types and does not choose is sent as typed,
// so the server refuses it with the reason beside the field (free text is never accepted).
(function () {
  "use strict";
  var counter = 0;

  function setUp(select) {
    var id = select.id;
    var options = Array.prototype.filter.call(select.options, function (o) { return o.value && !o.hasAttribute("data-typed"); });
    var box = document.createElement("div");
    box.className = "user-picker-box";
    var input = document.createElement("input");
    var list = document.createElement("ul");
    var listId = id + "-list";
    input.type = "text";
    input.id = id;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    input.setAttribute("autocomplete", "off");
    input.placeholder = select.getAttribute("data-placeholder") || "";
    if (select.getAttribute("aria-describedby")) { input.setAttribute("aria-describedby", select.getAttribute("aria-describedby")); }
    list.id = listId;
    list.className = "user-picker-list";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    select.id = id + "-choice";
    select.hidden = true;
    select.tabIndex = -1;
    select.parentNode.insertBefore(box, select);
    box.appendChild(input);
    box.appendChild(list);
    box.appendChild(select);
    var chosen = select.selectedOptions[0];
    input.value = chosen && chosen.value ? (chosen.hasAttribute("data-typed") ? chosen.value : chosen.textContent) : "";
    var shown = [];
    var active = -1;

    function typedOption() {
      var typed = select.querySelector("option[data-typed]");
      if (!typed) {
        typed = document.createElement("option");
        typed.setAttribute("data-typed", "");
        select.appendChild(typed);
      }
      return typed;
    }

    function choose(option) {
      var typed = select.querySelector("option[data-typed]");
      if (typed) { typed.remove(); }
      select.value = option.value;
      input.value = option.textContent;
      close();
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function keepTyped() {
      var text = input.value.trim();
      var exact = options.filter(function (o) { return o.value === text || o.textContent === text; })[0];
      if (exact) { choose(exact); return; }
      if (!text) { select.value = ""; var t = select.querySelector("option[data-typed]"); if (t) { t.remove(); } return; }
      var typed = typedOption();
      typed.value = text;
      typed.textContent = text;
      select.value = text;
    }

    function mark(index) {
      active = index;
      shown.forEach(function (item, i) { item.setAttribute("aria-selected", i === index ? "true" : "false"); });
      if (index >= 0 && shown[index]) {
        input.setAttribute("aria-activedescendant", shown[index].id);
        shown[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function open() {
      var words = input.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      list.textContent = "";
      shown = [];
      options.forEach(function (o) {
        var haystack = (o.getAttribute("data-search") || o.textContent).toLowerCase();
        if (!words.every(function (w) { return haystack.indexOf(w) >= 0; })) { return; }
        var item = document.createElement("li");
        item.id = listId + "-" + (counter += 1);
        item.setAttribute("role", "option");
        item.setAttribute("data-value", o.value);
        item.textContent = o.textContent;
        item.addEventListener("mousedown", function (e) { e.preventDefault(); choose(o); });
        list.appendChild(item);
        shown.push(item);
      });
      if (!shown.length) {
        var none = document.createElement("li");
        none.className = "muted";
        none.textContent = select.getAttribute("data-none") || "";
        list.appendChild(none);
      }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      mark(shown.length ? 0 : -1);
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      mark(-1);
    }

    input.addEventListener("input", open);
    input.addEventListener("focus", open);
    input.addEventListener("blur", function () { keepTyped(); close(); });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        if (list.hidden) { open(); return; }
        if (!shown.length) { return; }
        var step = e.key === "ArrowDown" ? 1 : -1;
        mark((active + step + shown.length) % shown.length);
      } else if (e.key === "Enter" && !list.hidden && active >= 0) {
        e.preventDefault();  // choosing a name does not send the form
        var value = shown[active].getAttribute("data-value");
        choose(options.filter(function (o) { return o.value === value; })[0]);
      } else if (e.key === "Escape" && !list.hidden) {
        e.preventDefault();
        close();
      }
    });
    var form = select.form;
    if (form) { form.addEventListener("submit", keepTyped); }
  }

  Array.prototype.forEach.call(document.querySelectorAll("select.user-picker"), setUp);
})();
