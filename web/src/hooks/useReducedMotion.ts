import { useSyncExternalStore } from 'react';

const QUERY = '(prefers-reduced-motion: reduce)';

function subscribe(onChange: () => void): () => void {
  const list = window.matchMedia(QUERY);
  list.addEventListener('change', onChange);
  return () => list.removeEventListener('change', onChange);
}

/**
 * Whether the person asked their system for less motion (WCAG 2.3.3): the console then opens dialogs,
 * drawers and menus without animation and draws charts at once. Follows the setting while open.
 */
export function useReducedMotion(): boolean {
  return useSyncExternalStore(subscribe, () => window.matchMedia(QUERY).matches);
}

/** Ant Design's theme and click-wave settings for the person's motion preference. */
export function motionSettings(reduced: boolean) {
  return { token: { motion: !reduced }, wave: { disabled: reduced } };
}
