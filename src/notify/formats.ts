import { json } from './json.js';
import { slack } from './slack.js';
import { teams } from './teams.js';
import type { NotificationFormat } from './types.js';

/** The formats, in the order a URL is matched against them: a new receiver is one file and one line. */
export const FORMATS: readonly NotificationFormat[] = [slack, teams, json];
