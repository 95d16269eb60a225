/** `mcp_sessions`: live stateful MCP sessions of the process (docs/operations.md "Metrics"). */
import { Gauge, type Registry } from 'prom-client';

export const MCP_SESSIONS = 'mcp_sessions';

/** The gauge registered under `mcp_sessions` in `registry`, created on first call. */
export function sessionsGauge(registry: Registry): Gauge {
  const existing = registry.getSingleMetric(MCP_SESSIONS);
  if (existing) {
    if (!(existing instanceof Gauge)) throw new Error(`metric ${MCP_SESSIONS} is registered with another type`);
    return existing as Gauge;
  }
  return new Gauge({ name: MCP_SESSIONS, help: 'Live stateful MCP sessions (Streamable HTTP)', registers: [registry] });
}
