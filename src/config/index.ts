/** Public API of the config module. */
export { ConfigError, formatKeyPath, type ConfigIssue, type PathSegment } from './errors.js';
export { MAX_CONFIG_BYTES, MAX_YAML_ALIAS_COUNT } from './source.js';
export {
  API_KEY_FALLBACK_ENV,
  ENDPOINTS,
  MODEL_ENV_VARS,
  PROVIDERS,
  applyOverrides,
  modelConfigSchema,
  resolveRole,
  type AgentRole,
  type Endpoint,
  type Env,
  type ModelConfig,
  type ModelOverrides,
  type Provider,
  type ResolvedRole,
  type RoleOverride,
} from './modelConfig.js';
export {
  gepaConfigSchema,
  type GepaConfig,
  type GepaOfflineConfig,
  type GepaOnlineConfig,
} from './gepaConfig.js';
export {
  defaultToolBundles,
  WEB_SEARCH_PROVIDERS,
  toolBundlesConfigSchema,
  type CustomToolConfig,
  type ToolBundleConfig,
  type ToolBundlesConfig,
  type WebSearchConfig,
} from './toolBundlesConfig.js';
export { defaultPersonasConfig, personasConfigSchema, type PersonaConfig, type PersonasConfig } from './personasConfig.js';
export {
  CONFIG_FILES,
  defaultConfigDir,
  loadConfig,
  loadGepaConfig,
  loadModelConfig,
  loadPersonasConfig,
  loadToolBundlesConfig,
  parseConfigText,
  type ConfigByKind,
  type ConfigKind,
  type LoadedConfig,
  type ParseOptions,
} from './load.js';
