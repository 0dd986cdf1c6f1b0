export { RealtimeHub, type HubOptions } from './hub.js';
export { LiveEvent, type EventEncoder, type EventEnvelope } from './live-event.js';
export { MAX_PREVIOUS_COUNT, subscribeRequest, type SubscribeRequest, type SubscriptionTarget } from './subscribe-request.js';
export { DEFAULT_MAX_QUEUED_EVENTS, Subscription } from './subscription.js';
