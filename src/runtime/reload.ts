// SIGHUP's configuration reload: the file read and checked again, then applied to a running proxy.
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/types.js';
import { log, logNotice } from '../log/logger.js';
import type { Proxy } from '../proxy/proxy.js';

/**
 * The config file read again; null, with every problem logged (file, line, reason), when it is
 * not valid: the running config stays. Global keys apply only at the next start: said when changed.
 */
export function readReloadedConfig(file: string, running: Config): Config | null {
  let config: Config;
  try {
    config = loadConfig(file);
  } catch (err) {
    log.write(`reload: configuration file '${file}' is invalid, the running configuration stays:\n${(err as Error).message}`);
    return null;
  }
  if (JSON.stringify(config.global) !== JSON.stringify(running.global)) {
    log.write(`reload: the global keys in '${file}' changed: they apply when nutcracker is restarted`);
  }
  return config;
}

/** What a reload of `proxy` does: read `file` again and apply its pools, one reload at a time. */
export function proxyReloader(proxy: Proxy, file: string, initial: Config): () => void {
  let running = initial;
  let busy: Promise<void> = Promise.resolve();
  return () => {
    busy = busy.then(async () => {
      const config = readReloadedConfig(file, running);
      if (config === null) return;
      await proxy.reload(config);
      running = config;
      logNotice(`reload: configuration file '${file}' applied (${config.pools.length} pool${config.pools.length === 1 ? '' : 's'})`);
    });
  };
}
