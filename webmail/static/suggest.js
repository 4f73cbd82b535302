// Recipient suggestions from the city directory for the To, Cc and Bcc fields.
// Progressive enhancement: without this script the fields are plain text inputs. The list
// follows the WAI-ARIA combobox pattern: arrow keys move, Enter or a click picks, Escape
// closes. Names come from /directory/suggest, which needs the signed-in session cookie.
"use strict";

(function () {
  const DELAY_MS = 150;
  const MIN_CHARS = 2;

  function lastPart(value) {
    const comma = value.lastIndexOf(",");
    return {head: comma < 0 ? "" : value.slice(0, comma + 1) + " ", term: value.slice(comma + 1).trim()};
  }

  function formatted(person) {
    const name = person.name.replace(/["\\]/g, "");
    return /[(),.:;<>@\[\]]/.test(name) ? `"${name}" <${person.address}>` : `${name} <${person.address}>`;
  }

  function attach(input) {
    const list = document.createElement("ul");
    list.id = `suggest-${input.id}`;
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    input.insertAdjacentElement("afterend", list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("autocomplete", "off");

    let people = [];
    let active = -1;
    let timer = 0;
    let asked = 0;

    function close() {
      list.hidden = true;
      list.replaceChildren();
      people = [];
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function highlight(position) {
      active = position;
      list.querySelectorAll("li").forEach((item, at) => {
        item.setAttribute("aria-selected", at === active ? "true" : "false");
      });
      if (active >= 0) {
        input.setAttribute("aria-activedescendant", `${list.id}-${active}`);
      }
    }

    function pick(position) {
      const person = people[position];
      if (!person) {
        return;
      }
      input.value = lastPart(input.value).head + formatted(person) + ", ";
      close();
      input.focus();
    }

    function show(found) {
      people = found;
      list.replaceChildren();
      found.forEach((person, at) => {
        const item = document.createElement("li");
        item.id = `${list.id}-${at}`;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        const name = document.createElement("span");
        name.className = "name";
        name.textContent = person.name;
        const detail = document.createElement("span");
        detail.className = "meta";
        detail.textContent = `${person.address} · ${person.unit}`;
        item.append(name, " ", detail);
        // mousedown, not click, so the input does not lose focus and close the list first.
        item.addEventListener("mousedown", (event) => {
          event.preventDefault();
          pick(at);
        });
        list.append(item);
      });
      list.hidden = found.length === 0;
      input.setAttribute("aria-expanded", found.length ? "true" : "false");
      active = -1;
    }

    async function ask(term) {
      const number = ++asked;
      try {
        const response = await fetch(`/directory/suggest?q=${encodeURIComponent(term)}`, {
          credentials: "same-origin",
          headers: {Accept: "application/json"},
        });
        if (!response.ok || number !== asked) {
          return;
        }
        show(await response.json());
      } catch (error) {
        close();  // no suggestions; the field still takes typed addresses
      }
    }

    input.addEventListener("input", () => {
      window.clearTimeout(timer);
      const term = lastPart(input.value).term;
      if (term.length < MIN_CHARS || term.includes("@") && term.includes(">")) {
        close();
        return;
      }
      timer = window.setTimeout(() => ask(term), DELAY_MS);
    });
    input.addEventListener("keydown", (event) => {
      if (list.hidden) {
        return;
      }
      if (event.key === "ArrowDown") {
        event.preventDefault();
        highlight((active + 1) % people.length);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight(active <= 0 ? people.length - 1 : active - 1);
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        pick(active);
      } else if (event.key === "Escape") {
        close();
      }
    });
    input.addEventListener("blur", close);
  }

  document.querySelectorAll("input[data-suggest]").forEach(attach);
})();
