export { UnrecoverableError } from "bullmq";
export {
  deliverJobSchema,
  economyQueue,
  generateJobSchema,
  generationQueue,
  maintenanceQueue,
  QUEUES,
  webhookQueue,
} from "./catalog.ts";
export { type ConnectionRole, connectRedis } from "./connection.ts";
export { type ConsumerOptions, createConsumer, type Handlers } from "./consumer.ts";
export {
  defineQueue,
  type JobDefinition,
  type JobName,
  type PayloadOf,
  type QueueDefinition,
} from "./define.ts";
export { createProducer, type Producer } from "./producer.ts";
