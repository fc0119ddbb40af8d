-- Run once by the postgres image on first start (empty volume): one database per service.
CREATE DATABASE indicators;
CREATE DATABASE support_cases;
CREATE DATABASE training;
