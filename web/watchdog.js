// The kiosk's watchdog (issue #12). Plain JavaScript on purpose: a wasm app that panicked
// or got stuck cannot watch itself. While kiosk mode is on, the app sets `sottoWatchdog` and
// refreshes `sottoHeartbeat` (ms since the epoch) twice a second from its run loop's ticker;
// when the heartbeat stops for a while, the page reloads, and kiosk mode comes back from
// the stored profile.
(function () {
  var STALE_MS = 20000;
  setInterval(function () {
    // A hidden page's timers are throttled: not a stuck app.
    if (!window.sottoWatchdog || document.hidden) return;
    var beat = window.sottoHeartbeat;
    if (typeof beat === 'number' && Date.now() - beat > STALE_MS) {
      window.sottoWatchdog = false;
      window.sottoReloadedByWatchdog = true;
      location.reload();
    }
  }, 2000);
})();
