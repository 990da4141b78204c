export {
  type Change,
  type ChangeListener,
  createChangeListener,
  createRedisChangeFeed,
} from "./change-feed.ts";
export { openEventStream, type StreamEvent } from "./event-stream.ts";
