import { sentence } from './event.js';
import type { NotificationFormat } from './types.js';

/** Slack incoming webhooks: a `text` message. */
export const slack: NotificationFormat = {
  name: 'slack',
  matches: (url) => url.hostname === 'hooks.slack.com',
  payload: (e) => ({ text: sentence(e) }),
};
