import type { NotificationFormat } from './types.js';

/** Any other URL: the event itself, as JSON. */
export const json: NotificationFormat = {
  name: 'json',
  matches: () => true,
  payload: (e) => ({ ...e }),
};
