// The operation room's live messages: server-sent events from /operations/OP_ID/events. The page works
// without this script (reload to see new messages); with it, a new message appears as the node stores it.
// Text is set with textContent only: nothing a message holds is ever parsed as HTML.
(function () {
  "use strict";
  var log = document.getElementById("messages");
  if (!log || !window.EventSource) { return; }
  var state = document.getElementById("live-state");
  var url = log.getAttribute("data-events") + "?after=" + encodeURIComponent(log.getAttribute("data-last") || "0");
  var source = new EventSource(url);

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  source.addEventListener("message", function (event) {
    var m = JSON.parse(event.data);
    if (log.querySelector('[data-seq="' + String(Number(m.seq)) + '"]')) { return; }
    var article = el("article", "msg");
    article.setAttribute("data-seq", String(Number(m.seq)));
    var header = el("header");
    header.appendChild(el("span", "sender", m.origin));
    header.appendChild(document.createTextNode(" "));
    var time = el("time", null, m.created_at);
    time.setAttribute("datetime", m.created_at);
    header.appendChild(time);
    article.appendChild(header);
    article.appendChild(el("p", "text", m.text));
    if (m.refs && m.refs.length) {
      var refs = el("p", "refs");
      m.refs.forEach(function (r) {
        var a = el("a", null, r);
        a.setAttribute("href", "/records/" + r.split("/").map(encodeURIComponent).join("/"));
        refs.appendChild(a);
        refs.appendChild(document.createTextNode(" "));
      });
      article.appendChild(refs);
    }
    log.appendChild(article);
    log.scrollTop = log.scrollHeight;
  });
  source.addEventListener("open", function () { if (state) { state.textContent = "Live: new messages appear here as they arrive."; } });
  source.addEventListener("error", function () { if (state) { state.textContent = "Reconnecting…"; } });
}());
