// The live command room and unit dashboard. The socket pushes timeline events; this script
// applies them in sequence order, and whenever it may have missed one (a gap, a reconnect,
// a heartbeat ahead of it) it fetches the rest from the timeline API. The panels, which the
// server renders from the database, come on the socket after events (one render per event and
// kind of screen, sent to all its screens); a screen fetches them itself when none came within
// PANEL_PUSH_GRACE of an event, and whenever the socket or the server's feed is down.
// Other pages use it too (the incident page, the incident list): with data-parts, the page
// itself is re-fetched and each [data-live-part] swapped (not one someone is typing in); with
// data-incident, only that incident's events do it. They have no feed, banner or wall clock.
(function () {
  "use strict";

  var root = document.querySelector("[data-live]");
  if (!root) { return; }

  var FEED_LENGTH = 60;
  var HISTORY = 200;           // events read on opening the page (grouped, routine left out)
  var UNITS_NAMED = 3;         // units named on a grouped line before "and others"
  var PANEL_DELAY = 250;       // ms: events arriving together refresh the panels once
  var PANEL_PUSH_GRACE = 3000; // ms: panels not pushed by then after an event are fetched
  var PANEL_REFRESH = 60000;   // ms: also refresh now and then (and keep the session alive)
  var POLL = 10000;            // ms: catch up by polling while the socket is down
  var labels = root.dataset;
  var lang = labels.lang || "zh-hans";
  var units = labels.units ? labels.units.split(",").map(Number) : null;
  var feed = document.getElementById("feed");
  var statusLine = document.getElementById("live-status");
  var lastUpdate = document.getElementById("last-update");
  var banner = document.getElementById("alert-banner");

  var lastSeq = Number(labels.seq);   // the last event applied (or known not to concern us)
  var highestSeen = lastSeq;          // the highest sequence number anyone told us of
  var buffer = [];                    // frames that arrived while catching up, or after a gap
  var catchingUp = false;
  var catchUpAgain = false;
  var socket = null;
  var retries = 0;
  var silenceTimer = null;
  var pollTimer = null;
  var panelTimer = null;
  var panelsSeq = Number(labels.seq);  // the newest event the panels shown include
  var feedUp = true;                  // the server hears the push from Redis
  var graceTimer = null;
  var wantedSeq = 0;                  // the newest event the panels should show (not a skip)
  var caughtUp = false;               // applying events fetched from the timeline API

  // --- applying events, in order ------------------------------------------------------------

  function receive(frame) {
    highestSeen = Math.max(highestSeen, frame.seq);
    if (frame.seq <= lastSeq) { return; }
    if (catchingUp || frame.seq !== lastSeq + 1) {
      buffer.push(frame);
      catchUp();
      return;
    }
    apply(frame);
  }

  function apply(frame) {
    lastSeq = frame.seq;
    if (frame.type === "skip") { return; }
    if (labels.incident && frame.incident !== Number(labels.incident)) { return; }
    showInFeed(frame, false);
    if (frame.alert) { raiseAlert(frame); }
    schedulePanels();
  }

  function drainBuffer() {
    buffer.sort(function (a, b) { return a.seq - b.seq; });
    while (buffer.length) {
      var frame = buffer[0];
      if (frame.seq <= lastSeq) { buffer.shift(); continue; }
      if (frame.seq !== lastSeq + 1) { return false; }
      buffer.shift();
      apply(frame);
    }
    return true;
  }

  // Everything after lastSeq that this user may see, page by page. Events up to `target` were
  // committed before the request began, so once it has answered, none of them is missing.
  function catchUp() {
    if (catchingUp) { catchUpAgain = true; return; }
    catchingUp = true;
    catchUpAgain = false;
    var target = highestSeen;
    fetchEvents(lastSeq).then(function () {
      lastSeq = Math.max(lastSeq, target);
      catchingUp = false;
      if (!drainBuffer() || catchUpAgain) { catchUp(); }
      touched();
    }, function () {
      catchingUp = false;   // the next heartbeat, reconnect or poll tries again
    });
  }

  function fetchEvents(after) {
    return getJSON(labels.eventsUrl + "?after=" + after).then(function (frames) {
      caughtUp = true;   // no push of panels follows these: the server sent its own then
      frames.forEach(function (frame) {
        if (frame.seq > lastSeq) { apply(frame); }
      });
      caughtUp = false;
      if (frames.length >= 500) { return fetchEvents(lastSeq); }
    });
  }

  // The events before the page was rendered: older than anything live, so they go last.
  function showHistory(upTo) {
    if (!feed) { return; }
    getJSON(labels.eventsUrl + "?after=" + Math.max(0, upTo - HISTORY)).then(function (frames) {
      frames.filter(function (frame) { return frame.seq <= upTo; }).reverse()
        .forEach(function (frame) { showInFeed(frame, true); });
      touched();
    }).catch(function () {});
  }

  function getJSON(url) {
    return fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (response.status === 401 || response.status === 403 || response.redirected) {
          window.location.reload();   // signed out: the page goes to the login form
        }
        if (!response.ok) { throw new Error(response.status); }
        return response.json();
      });
  }

  // --- the feed ---------------------------------------------------------------------------------

  function concernsUs(frame) {
    if (!units || frame.incident === null) { return true; }
    return frame.units.some(function (unit) { return units.indexOf(unit) >= 0; });
  }

  // Events that say the same of many units (17 notice clocks overdue on incident #2) share
  // one line naming the units, updated as more arrive; the frame says which line
  // (frame.group). Routine administration (frame.routine) stays on the timeline only.
  var groupLines = {};   // group key -> {item, text (per language), units (names)}

  function showInFeed(frame, older) {
    if (!feed || frame.routine || !concernsUs(frame)) { return; }
    var line = frame.group && groupLines[frame.group.key];
    if (line && feed.contains(line.item)) {
      addToGroup(line, frame, older);
      return;
    }
    var item = feedItem(frame);
    if (frame.group) {
      line = groupLines[frame.group.key] = {item: item, text: frame.group.text, units: []};
      item.dataset.group = frame.group.key;
      item.classList.add("feed-group");
      addToGroup(line, frame, older);
    }
    if (older) {
      feed.appendChild(item);
    } else {
      feed.insertBefore(item, feed.firstChild);
    }
    while (feed.children.length > FEED_LENGTH) { feed.removeChild(feed.lastChild); }
  }

  function feedItem(frame) {
    var item = document.createElement("li");
    item.dataset.seq = frame.seq;
    item.className = "feed-item" + (frame.alert ? " feed-alert" : "");
    var time = document.createElement("time");
    time.dateTime = frame.occurred_at;
    time.textContent = clockTime(new Date(frame.occurred_at));
    item.appendChild(time);
    if (frame.drill) { item.appendChild(tag(labels.labelDrill, "tag drill")); }
    var text = document.createElement("span");
    text.className = "feed-text";
    text.textContent = " " + (frame.text[lang] || frame.text["zh-hans"] || frame.kind) + " ";
    item.appendChild(text);
    var who = document.createElement("small");
    who.textContent = frame.actor_name || labels.labelSystem;
    item.appendChild(who);
    return item;
  }

  // A newer event moves the line to the top with its time; an older one (history) only adds
  // its unit.
  function addToGroup(line, frame, older) {
    var unit = frame.group.unit;
    if (line.units.indexOf(unit) < 0) {
      if (older) { line.units.unshift(unit); } else { line.units.push(unit); }
    }
    if (!older && Number(line.item.dataset.seq) < frame.seq) {
      line.item.dataset.seq = frame.seq;
      var time = line.item.querySelector("time");
      time.dateTime = frame.occurred_at;
      time.textContent = clockTime(new Date(frame.occurred_at));
      if (line.item !== feed.firstChild) { feed.insertBefore(line.item, feed.firstChild); }
    }
    line.item.querySelector(".feed-text").textContent = " " + groupText(line) + " ";
  }

  function groupText(line) {
    var forms = line.text[lang] || line.text["zh-hans"];
    var names = line.units.slice(0, UNITS_NAMED).join(labels.labelListSeparator);
    if (line.units.length > UNITS_NAMED) {
      names = labels.labelAndOthers.replace("{units}", function () { return names; });
    }
    return (line.units.length === 1 ? forms.one : forms.other)
      .replace("%(count)s", String(line.units.length))
      .replace("%(units)s", function () { return names; });
  }

  function tag(text, className) {
    var span = document.createElement("span");
    span.className = className;
    span.textContent = text;
    return span;
  }

  // --- panels, rendered by the server ---------------------------------------------------------

  // One fetch at a time: events that arrive while it is on its way ask for one more as soon
  // as it is answered, so a busy server is asked by each screen once per answer, not once per
  // event.
  var panelsFetching = false;
  var panelsAgain = false;

  function schedulePanels() {
    wantedSeq = lastSeq;
    if (pushed() && !caughtUp) { awaitPushedPanels(lastSeq); return; }
    if (panelsFetching) { panelsAgain = true; return; }
    if (panelTimer) { return; }
    panelTimer = window.setTimeout(refreshPanels, PANEL_DELAY);
  }

  function refreshPanels() {
    window.clearTimeout(panelTimer);
    panelTimer = null;
    if (panelsFetching) { panelsAgain = true; return; }
    panelsFetching = true;
    panelsAgain = false;
    // The seq applied lets the server answer from its render for that event, shared by every
    // screen of the same audience; a page of data-parts re-fetches itself as it is.
    var url = labels.parts === undefined ? labels.panelsUrl + "&seq=" + lastSeq : labels.panelsUrl;
    fetch(url, {credentials: "same-origin"}).then(function (response) {
      if (response.redirected || response.status === 403) { window.location.reload(); }
      if (!response.ok) { throw new Error(response.status); }
      return response.text();
    }).then(function (html) {
      if (labels.parts === undefined) {
        fetchedPanels(html);
      } else {
        swapParts(html);
      }
      touched();
    }).catch(function () { /* the next event or the periodic refresh tries again */
    }).then(function () {
      panelsFetching = false;
      if (panelsAgain) { refreshPanels(); }
    });
  }

  function pushed() {
    return Boolean(labels.panelsPush) && socket !== null && socket.readyState === 1 && feedUp;
  }

  // Panels at least as new as event `seq` should come on the socket; if not in time, fetch.
  function awaitPushedPanels(seq) {
    if (panelsSeq >= seq || graceTimer) { return; }
    graceTimer = window.setTimeout(function () {
      graceTimer = null;
      if (panelsSeq < seq) {
        refreshPanels();
      } else if (panelsSeq < wantedSeq) {
        awaitPushedPanels(wantedSeq);
      }
    }, PANEL_PUSH_GRACE);
  }

  // A pushed render comes whole (frame.chunks) or as what changed since the render `base`
  // (frame.diff: runs [i, j] of its chunks, and new chunks), which only the screen holding
  // `base` can apply; any other fetches the panels (command_room/panel_push.py).
  var held = {tag: "", chunks: []};
  var CHUNKS = /(?=<(?:tr|li|section|div)[ >])/;

  function showPanels(frame) {
    if (frame.same) {
      if (frame.tag === held.tag) {
        panelsSeq = Math.max(panelsSeq, frame.seq);
        touched();
      } else if (frame.seq > panelsSeq) {
        refreshPanels();
      }
      return;
    }
    var chunks = frame.chunks;
    if (frame.diff && frame.tag === held.tag) {
      chunks = held.chunks;   // fetched meanwhile: the same render
    } else if (frame.diff) {
      if (frame.base !== held.tag) {
        if (frame.seq > panelsSeq) { refreshPanels(); }
        return;
      }
      chunks = [];
      frame.diff.forEach(function (part) {
        if (typeof part === "string") {
          chunks.push(part);
        } else {
          for (var i = part[0]; i < part[1]; i += 1) { chunks.push(held.chunks[i]); }
        }
      });
    }
    held = {tag: frame.tag, chunks: chunks};
    if (frame.seq < panelsSeq) { return; }
    showPanelsHtml(chunks.join(""));
    touched();
  }

  function fetchedPanels(html) {
    var tag = /data-panels-render="([^"]*)"/.exec(html);
    held = {tag: tag ? tag[1] : "", chunks: html.split(CHUNKS).filter(Boolean)};
    showPanelsHtml(html);
  }

  // The unit dashboard's forms carry this page's CSRF token: pushed panels have none.
  function showPanelsHtml(html) {
    var panels = document.getElementById("panels");
    panels.innerHTML = html;
    panels.querySelectorAll("input[name=csrfmiddlewaretoken]").forEach(function (field) {
      field.value = labels.csrf;
    });
    var rendered = panels.querySelector("[data-panels-seq]");
    if (rendered) { panelsSeq = Math.max(panelsSeq, Number(rendered.dataset.panelsSeq)); }
  }

  function swapParts(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    document.querySelectorAll("[data-live-part]").forEach(function (part) {
      var next = fresh.getElementById(part.id);
      if (!next || part.contains(document.activeElement) || typedIn(part)) { return; }
      part.innerHTML = next.innerHTML;
    });
  }

  function typedIn(part) {
    return Array.prototype.some.call(part.querySelectorAll("input, textarea"), function (field) {
      return field.type !== "hidden" && (field.value !== field.defaultValue ||
                                         field.checked !== field.defaultChecked);
    });
  }

  // --- attention ------------------------------------------------------------------------------

  function raiseAlert(frame) {
    if (!banner) { return; }
    var title = document.querySelector("#alert-titles [data-alert='" + frame.alert + "']");
    banner.className = "alert-banner alert-" + frame.alert;
    banner.querySelector(".alert-title").textContent =
      (frame.drill ? labels.labelDrill + " · " : "") + (title ? title.textContent : "");
    var line = frame.group && groupLines[frame.group.key];
    banner.querySelector(".alert-text").textContent =
      line ? groupText(line) : (frame.text[lang] || "");
    banner.hidden = false;
    if (soundOn()) { beep(); }
  }

  function soundOn() { return window.localStorage.getItem("live-sound") === "on"; }

  function showSound() {
    var button = root.querySelector("[data-sound]");
    if (!button) { return; }
    button.textContent = soundOn() ? labels.labelSoundOn : labels.labelSoundOff;
    button.setAttribute("aria-pressed", soundOn() ? "true" : "false");
  }

  var audio = null;
  function beep() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) { return; }
    audio = audio || new Context();
    [0, 0.35, 0.7].forEach(function (start) {
      var tone = audio.createOscillator();
      var gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.value = 0.2;
      tone.connect(gain);
      gain.connect(audio.destination);
      tone.start(audio.currentTime + start);
      tone.stop(audio.currentTime + start + 0.2);
    });
  }

  root.addEventListener("click", function (event) {
    if (event.target.matches("[data-dismiss-alert]")) { banner.hidden = true; }
    if (event.target.matches("[data-sound]")) {
      window.localStorage.setItem("live-sound", soundOn() ? "off" : "on");
      showSound();
      if (soundOn()) { beep(); }   // a click lets the browser play sound from now on
    }
    if (event.target.matches("[data-fullscreen]") && document.documentElement.requestFullscreen) {
      document.documentElement.requestFullscreen();
    }
  });

  // --- the socket -----------------------------------------------------------------------------

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var query = labels.panelsPush ? "?panels=" + encodeURIComponent(labels.panelsPush) +
      "&lang=" + encodeURIComponent(lang) : "";
    socket = new WebSocket(scheme + window.location.host + labels.socketPath + query);
    socket.onopen = function () {
      retries = 0;
      feedUp = true;   // the server says at once if its feed is down
      setStatus("connected");
      stopPolling();
      catchUp();
      expectWithin();
    };
    socket.onmessage = function (message) {
      var frame = JSON.parse(message.data);
      expectWithin();
      touched();
      if (frame.type === "feed") { showFeedState(frame.state); return; }
      if (frame.type === "panels") { showPanels(frame); return; }
      if (frame.type === "heartbeat") {
        if (frame.seq > lastSeq) { highestSeen = Math.max(highestSeen, frame.seq); catchUp(); }
        return;
      }
      receive(frame);
    };
    socket.onclose = function (event) {
      socket = null;
      window.clearTimeout(silenceTimer);
      if (event.code === 4401) { window.location.reload(); return; }
      setStatus("reconnecting");
      startPolling();
      retries += 1;
      var delay = Math.min(15000, 1000 * Math.pow(2, retries - 1)) * (0.5 + Math.random());
      window.setTimeout(connect, delay);
    };
  }

  // A socket that hears nothing, not even a heartbeat, for three beats is presumed dead.
  function expectWithin() {
    window.clearTimeout(silenceTimer);
    silenceTimer = window.setTimeout(function () {
      if (socket) { socket.close(); }
    }, (3 * Number(labels.heartbeat) + 5) * 1000);
  }

  // The server says whether its own feed from Redis works: while it does not, no push can
  // arrive although the socket is open, so the screen says so and polls.
  function showFeedState(state) {
    feedUp = state !== "down";
    if (state === "down") {
      setStatus("degraded");
      startPolling();
    } else {
      setStatus("connected");
      stopPolling();
      catchUp();
    }
  }

  function startPolling() {
    if (!pollTimer) { pollTimer = window.setInterval(catchUp, POLL); }
  }

  function stopPolling() {
    window.clearInterval(pollTimer);
    pollTimer = null;
  }

  function setStatus(state) {
    if (!statusLine) { return; }
    statusLine.dataset.state = state;
    statusLine.textContent = labels["label" + state.charAt(0).toUpperCase() + state.slice(1)];
  }

  function touched() {
    if (!lastUpdate) { return; }
    lastUpdate.textContent = clockTime(new Date());
  }

  // --- the wall clock ---------------------------------------------------------------------------

  var timeFormat = new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "zh-CN", {
    timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", second: "2-digit",
    hour12: false});
  var dateFormat = new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "zh-CN", {
    timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
    weekday: "short"});
  function clockTime(date) { return timeFormat.format(date); }
  function tickWallClock() {
    var now = new Date();
    var wallClock = document.getElementById("wall-clock");
    if (!wallClock) { return; }
    wallClock.textContent =
      dateFormat.format(now) + " " + timeFormat.format(now);
  }

  tickWallClock();
  window.setInterval(tickWallClock, 1000);
  window.setInterval(refreshPanels, PANEL_REFRESH);
  showSound();
  showHistory(Number(labels.seq));
  connect();
})();
