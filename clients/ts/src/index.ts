// The package's public surface: the module client and the pieces generated
// clients and apps name in their types.

export { ModuleClient, type ClientOptions, type ClientEvents } from "./client.js";
export { Route } from "./route.js";
export type { ConnectionState, ConnectionEvents } from "./connection.js";
export type { TokenProvider } from "./refresh.js";
export type { TopicsEvents } from "./topics.js";
export type { SubscriptionState, RouteOptions } from "./subscription.js";
export type { Position } from "./protocol.js";
export { TopicwireError, type TopicwireErrorCode } from "./errors.js";
export { classifyClose, type CloseInfo, type CloseKind } from "./protocol.js";
export { canonicalJson, topicOf } from "./canonical.js";
export type { RequestShape } from "./shape.js";
export type { BackoffOptions } from "./backoff.js";
export type { WebSocketConstructor, WebSocketLike } from "./socket.js";
export type { Unsubscribe } from "./events.js";
