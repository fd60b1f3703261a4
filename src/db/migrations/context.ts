/** What a migration may ask: the one list serves both engines, and a migration that must differ asks this. */
export interface MigrationContext {
  dialect: 'sqlite' | 'postgres'
}
