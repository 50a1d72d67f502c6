/** The OpenAI-compatible provider (vLLM, OpenAI, Ollama, llama.cpp, LM Studio): public API. */
export { OpenAICompatibleModel, type OpenAIProviderOptions } from './provider.js';
export { EndpointRegistry, sharedEndpoints, type EndpointSlot } from './endpoints.js';
export { ProviderError, AUTO_TOOL_CHOICE_HINT, isRetryableStatus } from './errors.js';
export { SseDecoder, decodeSse, type SseEvent } from './sse.js';
export { ToolCallAssembler, toolCallsFromMessage } from './toolCalls.js';
export { chatBody, completionsBody, generateBody, messagesToPrompt, passThroughParams, planRequest, samplingParams } from './requestBody.js';
export { StreamReader, parseCompletion, parseGenerate } from './responses.js';
export { endpointUrl, healthUrl, modelsUrl, resolveEndpoint, rootUrl, type OpenAISettings } from './settings.js';
