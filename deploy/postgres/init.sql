-- The CRM's databases and roles. The postgres image runs this once, as the superuser, when its data volume is
-- empty; it can also be run by hand against any PostgreSQL 15+ server with psql (it needs psql's \getenv):
--
--   CRM_POSTGRES_USER=crm CRM_POSTGRES_PASSWORD=... CRM_GRAFANA_DB_USER=crm_grafana CRM_GRAFANA_DB_PASSWORD=... \
--     psql -v ON_ERROR_STOP=1 -U postgres -d postgres -f deploy/postgres/init.sql
--
-- crm            event stores (one schema per service: calls, complaints, surveys, desks, members, ...) and the
--                token store; the services create their schemas and tables themselves.
-- crm_reporting  the read models of the stream processors; can be dropped and rebuilt from the event stores.
-- The CRM role owns both databases but is no superuser. Grafana's role may only read crm_reporting.
-- Safe to run again: existing roles and databases are kept, and passwords are set to the given ones.

\set ON_ERROR_STOP on
\getenv crm_user CRM_POSTGRES_USER
\getenv crm_password CRM_POSTGRES_PASSWORD
\getenv grafana_user CRM_GRAFANA_DB_USER
\getenv grafana_password CRM_GRAFANA_DB_PASSWORD

SELECT format('CREATE ROLE %I LOGIN', :'crm_user')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'crm_user') \gexec
SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L', :'crm_user', :'crm_password') \gexec

SELECT format('CREATE ROLE %I LOGIN', :'grafana_user')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'grafana_user') \gexec
SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L', :'grafana_user', :'grafana_password') \gexec

SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L TEMPLATE template0', 'crm', :'crm_user', 'UTF8')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'crm') \gexec
SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L TEMPLATE template0', 'crm_reporting', :'crm_user', 'UTF8')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'crm_reporting') \gexec

-- Nobody but the owner connects to the event stores; Grafana connects to the read models only.
REVOKE ALL ON DATABASE crm FROM PUBLIC;
REVOKE ALL ON DATABASE crm_reporting FROM PUBLIC;
SELECT format('GRANT CONNECT ON DATABASE crm_reporting TO %I', :'grafana_user') \gexec

\connect crm_reporting
-- PostgreSQL 15+ no longer lets every role create in schema public; the read models' owner needs it.
SELECT format('ALTER SCHEMA public OWNER TO %I', :'crm_user') \gexec
SELECT format('GRANT USAGE ON SCHEMA public TO %I', :'grafana_user') \gexec
SELECT format('GRANT SELECT ON ALL TABLES IN SCHEMA public TO %I', :'grafana_user') \gexec
-- Tables and schemas the CRM creates later are readable by Grafana too.
SELECT format('ALTER DEFAULT PRIVILEGES FOR ROLE %I GRANT USAGE ON SCHEMAS TO %I', :'crm_user', :'grafana_user') \gexec
SELECT format('ALTER DEFAULT PRIVILEGES FOR ROLE %I GRANT SELECT ON TABLES TO %I', :'crm_user', :'grafana_user') \gexec

\connect crm
SELECT format('ALTER SCHEMA public OWNER TO %I', :'crm_user') \gexec
