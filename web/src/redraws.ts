// Which WebGL map repaints can wait. Every GeoJSON setData repaints the whole map, and with software
// WebGL (the browsers of many control rooms, and headless Chromium) a repaint blocks the page for a
// fifth of a second. A repaint that only refreshes background state (vehicle trails) waits while the
// planner is between an edit and its drawn verdict, so the pilot's answer is never queued behind it.

const MAX_HOLD_MS = 3000; // a hold that is never released (a bug, a lost response) stops holding

let heldUntil = 0;
let holders = 0;

/** Holds deferrable repaints until the returned release is called (or MAX_HOLD_MS have passed). */
export function holdDeferrableRedraws(): () => void {
  holders++;
  heldUntil = performance.now() + MAX_HOLD_MS;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    holders = Math.max(0, holders - 1);
  };
}

/** True while a hold is in force: deferrable repaints should wait for a later frame. */
export function deferrableRedrawsHeld(): boolean {
  return holders > 0 && performance.now() < heldUntil;
}
