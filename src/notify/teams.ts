import { sentence } from './event.js';
import type { NotificationFormat } from './types.js';

/** Microsoft Teams through a Workflows webhook (Power Automate): an Adaptive Card in a message. */
export const teams: NotificationFormat = {
  name: 'teams',
  matches: (url) => /(^|\.)logic\.azure\.com$|(^|\.)powerplatform\.com$/.test(url.hostname),
  payload: (e) => ({
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        content: {
          type: 'AdaptiveCard',
          version: '1.4',
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          body: sentence(e)
            .split('\n')
            .map((text, i) => ({ type: 'TextBlock', text, wrap: true, ...(i === 0 ? { weight: 'Bolder' } : {}) })),
        },
      },
    ],
  }),
};
