-- Run once by the postgres image on first start (empty volume): one database per service,
-- and the gateway's own (people, sessions, API tokens).
CREATE DATABASE indicators;
CREATE DATABASE support_cases;
CREATE DATABASE training;
CREATE DATABASE gateway;
