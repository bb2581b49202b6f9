import type { NotificationEvent } from './event.js';

/** One receiver's format: which webhook URLs it is for, and the body it takes. */
export interface NotificationFormat {
  /** What `--notify <name>:<url>` calls it, and how logs label its targets. */
  name: string;
  /** Known by the URL alone (its host); the last format in the list takes any URL. */
  matches(url: URL): boolean;
  payload(e: NotificationEvent): object;
}
