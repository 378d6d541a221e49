-- peta_route_many: peta_route (route_v3.sql) for many pins at once, as one spatial join instead of one function
-- call per pin: a history import of a million rows is routed in seconds (issue 13). peta_route stays the one
-- definition a single submission uses; this function reproduces its rules exactly, expression for expression, and
-- tests/db/test_bulk_load_speed_equivalence.py compares the two on random and edge-case pins:
--   covered by one kelurahan            -> that one                  (rule 'covers'; ST_Covers on the pieces)
--   covered by several (overlap)        -> deepest inside, then lowest code (rule 'overlap', flag 'overlap')
--   covered by none, within tolerance   -> nearest kelurahan          (rule 'snapped', flag 'snapped', metres)
--   farther out / no active generation  -> a row with kelurahan_id NULL: the caller refuses it
-- Service area for the pin's category covering the point (the snapped point when snapped): highest priority,
-- then the smallest area, then lowest id; none -> the category's default SKPD. Within p_near_border_m of a
-- kelurahan or service-area border -> flag 'near_border'.
-- Borders are transformed to the metric CRS, and kelurahan cast to geography, once per call, not once per pin; a
-- pin is transformed only where a kelurahan covers it (in the city by definition), as in v3. Pins whose category does not exist get no row.
-- p_key is handed back with each decision (the caller's row number).
CREATE OR REPLACE FUNCTION peta_route_many(
    p_key bigint[], p_geom geometry[], p_category_id integer[], p_tolerance_m double precision,
    p_near_border_m double precision)
RETURNS TABLE (
    key bigint, generation_id integer, kelurahan_id integer, kecamatan_id integer, kelurahan_rule text,
    overlap_count integer, snapped_m double precision, depth_m double precision, service_area_id integer,
    skpd_id integer, skpd_rule text, service_area_depth_m double precision, flags text[])
LANGUAGE sql STABLE PARALLEL SAFE AS $fn$
WITH gen AS (
    SELECT g.id FROM boundary_generation g WHERE g.active
), pin AS MATERIALIZED (
    SELECT u.key, u.geom, u.category_id FROM unnest(p_key, p_geom, p_category_id) AS u(key, geom, category_id)
), border AS MATERIALIZED (
    SELECT k.id, k.code, k.kecamatan_id, ST_Transform(ST_Boundary(k.geom), {metric_srid}) AS edge
      FROM kelurahan k
     WHERE k.id IN (SELECT pc.kelurahan_id FROM kelurahan_piece pc WHERE pc.generation_id = (SELECT id FROM gen))
), hit AS MATERIALIZED (
    SELECT DISTINCT ON (p.key, pc.kelurahan_id) p.key, pc.kelurahan_id, p.geom, p.category_id
      FROM (SELECT * FROM pin ORDER BY geom) p  -- Hilbert order: neighbouring pins test the same piece
      JOIN kelurahan_piece pc ON pc.generation_id = (SELECT id FROM gen) AND ST_Covers(pc.geom, p.geom)
     ORDER BY p.key, pc.kelurahan_id
), covering AS MATERIALIZED (
    SELECT h.key, h.category_id, b.id, b.code, b.kecamatan_id, h.geom AS pt,
           ST_Distance(b.edge, ST_Transform(h.geom, {metric_srid})) AS depth
      FROM hit h JOIN border b ON b.id = h.kelurahan_id
), city AS MATERIALIZED (  -- the active kelurahan as geography, cast once per call instead of once per pin.
    -- Before the spheroid distance, a box in degrees twice the tolerance wide (a degree is at least 110.5 km
    -- north-south and at least that times cos(latitude) east-west) leaves out only kelurahan farther away;
    -- exact for pins up to 89° latitude.
    SELECT k.id, k.code, k.kecamatan_id, k.geom, k.geom::geography AS geog
      FROM kelurahan k WHERE k.generation_id = (SELECT id FROM gen)
), nearest AS (
    SELECT p.key, p.category_id, n.id, n.kecamatan_id, n.dist, n.pt
      FROM pin p
     CROSS JOIN LATERAL (
           SELECT k.id, k.code, k.kecamatan_id, ST_Distance(k.geog, p.geom::geography) AS dist,
                  ST_ClosestPoint(k.geom, p.geom) AS pt
             FROM city k
            WHERE k.geom && ST_Expand(p.geom, p_tolerance_m / 55000 / cos(radians(least(
                           abs(ST_Y(p.geom)) + p_tolerance_m / 55000, 89))), p_tolerance_m / 55000)
              AND ST_DWithin(k.geog, p.geom::geography, p_tolerance_m)
            ORDER BY dist, k.code
            LIMIT 1) n
     WHERE NOT EXISTS (SELECT 1 FROM hit h WHERE h.key = p.key)
), kel AS MATERIALIZED (
    (SELECT DISTINCT ON (c.key) c.key, c.category_id, c.id, c.kecamatan_id,
            CASE WHEN c.n > 1 THEN 'overlap' ELSE 'covers' END AS rule, c.n::integer AS n,
            NULL::double precision AS snapped, c.depth, c.pt
       FROM (SELECT c.*, count(*) OVER (PARTITION BY c.key) AS n FROM covering c) c
      ORDER BY c.key, c.depth DESC, c.code)
    UNION ALL
    SELECT n.key, n.category_id, n.id, n.kecamatan_id, 'snapped', 0, n.dist, 0.0, n.pt FROM nearest n
), area AS MATERIALIZED (
    SELECT a.id, a.skpd_id, a.priority, a.area_m2, a.geom, ac.category_id,
           ST_Transform(ST_Boundary(a.geom), {metric_srid}) AS edge
      FROM service_area a JOIN service_area_category ac ON ac.service_area_id = a.id
     WHERE a.valid_from <= now() AND (a.valid_to IS NULL OR a.valid_to > now())
), sa AS (
    SELECT DISTINCT ON (k.key) k.key, a.id, a.skpd_id, ST_Distance(a.edge, ST_Transform(k.pt, {metric_srid})) AS depth
      FROM kel k JOIN area a ON a.category_id = k.category_id AND ST_Covers(a.geom, k.pt)
     ORDER BY k.key, a.priority DESC, a.area_m2 ASC, a.id
)
SELECT p.key, (SELECT id FROM gen), kel.id, kel.kecamatan_id, kel.rule, COALESCE(kel.n, 0),
       kel.snapped, kel.depth, sa.id, COALESCE(sa.skpd_id, c.default_skpd_id),
       CASE WHEN sa.id IS NULL THEN 'category_default' ELSE 'service_area' END, sa.depth,
       array_remove(ARRAY[
           CASE WHEN kel.rule = 'overlap' THEN 'overlap' END,
           CASE WHEN kel.rule = 'snapped' THEN 'snapped' END,
           CASE WHEN kel.depth < p_near_border_m OR sa.depth < p_near_border_m THEN 'near_border' END
       ], NULL)
  FROM pin p
  JOIN category c ON c.id = p.category_id
  LEFT JOIN kel ON kel.key = p.key
  LEFT JOIN sa ON sa.key = p.key
$fn$;
