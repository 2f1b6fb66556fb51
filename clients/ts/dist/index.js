// The package's public surface: the module client and the pieces generated
// clients and apps name in their types.
export { ModuleClient } from "./client.js";
export { Route } from "./route.js";
export { TopicwireError } from "./errors.js";
export { classifyClose } from "./protocol.js";
export { canonicalJson, topicOf } from "./canonical.js";
