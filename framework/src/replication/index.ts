export { Replicator, type Connect, type PeerStatus, type ReplicatorOptions } from './replicator.js';
export { CloseCode, realTimers, type LinkEvents, type PeerLink, type Timers } from './peer-link.js';
export { defaultReplicationTuning, PROTOCOL_VERSION, type ReplicationOptions, type RouteOption } from './options.js';
