/* Keeps what is typed into a page's forms (those marked data-draft) in this browser tab, so
   that submitting one form, or signing in again after the session expired, does not lose the
   others. A form's draft is dropped once the server says that form was saved (body
   data-saved-form); a form the server sent back with errors shows the server's values. The
   pages work without this script; it only keeps unsent text. */
(function () {
  "use strict";
  var store;
  try { store = window.sessionStorage; } catch (e) { return; }
  if (!store) return;
  var saved = document.body.getAttribute("data-saved-form") || "";
  var failed = document.querySelector(".error-summary, .error") !== null;

  // a page re-rendered after a failed POST has the form's address: key drafts by the page
  var pagePath = document.body.getAttribute("data-draft-page") || location.pathname;
  function key(form) { return "draft:" + pagePath + ":" + form.getAttribute("data-draft"); }

  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name !== "_csrf_token" && el.type !== "hidden" && el.type !== "file" && el.type !== "password" && el.type !== "submit";
    });
  }

  function save(form) {
    var data = {};
    fields(form).forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") data[el.name + "=" + el.value] = el.checked;
      else data[el.name] = el.value;
    });
    store.setItem(key(form), JSON.stringify(data));
  }

  function restore(form) {
    var raw = store.getItem(key(form));
    if (!raw) return;
    var data;
    try { data = JSON.parse(raw); } catch (e) { return; }
    var changed = false;
    fields(form).forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") {
        var k = el.name + "=" + el.value;
        if (k in data && el.checked !== data[k]) { el.checked = data[k]; changed = true; }
      } else if (el.name in data && el.value !== data[el.name]) {
        el.value = data[el.name]; changed = true;
      }
    });
    if (changed) {
      var note = document.createElement("p");
      note.className = "notice draft-note";
      note.setAttribute("role", "status");
      note.textContent = "已恢复您在本页尚未提交的内容。";
      form.insertBefore(note, form.firstChild);
      var details = form.closest("details");
      if (details) details.open = true;
    }
  }

  // "page:form" names a draft of another page (a report sent from an item page lands on /my)
  if (saved.indexOf(":") > 0) store.removeItem("draft:" + saved);
  document.querySelectorAll("form[data-draft]").forEach(function (form) {
    var name = form.getAttribute("data-draft");
    if (name === saved) store.removeItem(key(form));
    else if (!(failed && form.querySelector(".error-summary, .error"))) restore(form);
    form.addEventListener("input", function () { save(form); });
    form.addEventListener("change", function () { save(form); });
  });
})();
