/** The config file used when `--config` is not given. */
export const DEFAULT_CONFIG_FILE = 'config/cohort-sync.yaml';
