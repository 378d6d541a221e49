-- peta_route v3: v2 with the pin passed through a materialised CTE before it is transformed. Inlined into a
-- query with a constant pin, v2's ST_Transform(p_geom) was folded at plan time — and a pin far from the city (lon
-- -150 for a city in UTM 50S) failed with "Point outside of projection domain" before any row was looked at. Now
-- the pin is transformed only for the kelurahan that cover it, which are in the city by definition.
--
--
-- peta_route: the routing decision for one point and one category, on the active boundary generation.
-- Total and deterministic on imperfect boundaries:
--   covered by one kelurahan            -> that one                  (rule 'covers'; ST_Covers so edges match)
--   covered by several (overlap)        -> deepest inside, then lowest code (rule 'overlap', flag 'overlap')
--   covered by none, within tolerance   -> nearest kelurahan          (rule 'snapped', flag 'snapped', metres)
--   farther out / no active generation  -> a row with kelurahan_id NULL: the caller refuses it
-- Service area for the category covering the point (the snapped point when snapped): highest priority, then the
-- smallest area, then lowest id; none -> the category's default SKPD. Within p_near_border_m of a kelurahan or
-- service-area border -> flag 'near_border'.
CREATE OR REPLACE FUNCTION peta_route(
    p_geom geometry, p_category_id integer, p_tolerance_m double precision, p_near_border_m double precision)
RETURNS TABLE (
    generation_id integer, kelurahan_id integer, kecamatan_id integer, kelurahan_rule text, overlap_count integer,
    snapped_m double precision, depth_m double precision, service_area_id integer, skpd_id integer,
    skpd_rule text, service_area_depth_m double precision, flags text[])
LANGUAGE sql STABLE PARALLEL SAFE AS $fn$
WITH gen AS (
    SELECT g.id FROM boundary_generation g WHERE g.active
), pin AS MATERIALIZED (
    SELECT p_geom AS g
), covering AS (
    SELECT k.id, k.code, k.kecamatan_id,
           ST_Distance(ST_Transform(ST_Boundary(k.geom), {metric_srid}), ST_Transform(pin.g, {metric_srid})) AS depth
      FROM kelurahan k CROSS JOIN pin
     WHERE k.id IN (SELECT pc.kelurahan_id FROM kelurahan_piece pc
                     WHERE pc.generation_id = (SELECT id FROM gen) AND ST_Covers(pc.geom, p_geom))
), nearest AS (
    SELECT k.id, k.code, k.kecamatan_id, ST_Distance(k.geom::geography, p_geom::geography) AS dist,
           ST_ClosestPoint(k.geom, p_geom) AS pt
      FROM kelurahan k
     WHERE NOT EXISTS (SELECT 1 FROM covering)
       AND k.generation_id = (SELECT id FROM gen)
       AND ST_DWithin(k.geom::geography, p_geom::geography, p_tolerance_m)
     ORDER BY dist, k.code
     LIMIT 1
), kel AS (
    (SELECT c.id, c.kecamatan_id,
            CASE WHEN (SELECT count(*) FROM covering) > 1 THEN 'overlap' ELSE 'covers' END AS rule,
            NULL::double precision AS snapped, c.depth, p_geom AS pt
       FROM covering c ORDER BY c.depth DESC, c.code LIMIT 1)
    UNION ALL
    SELECT n.id, n.kecamatan_id, 'snapped', n.dist, 0.0, n.pt FROM nearest n
), sa AS (
    SELECT a.id, a.skpd_id, ST_Distance(ST_Transform(ST_Boundary(a.geom), {metric_srid}),
                       ST_Transform((SELECT pt FROM kel), {metric_srid})) AS depth
      FROM service_area a
      JOIN service_area_category ac ON ac.service_area_id = a.id
     WHERE ac.category_id = p_category_id
       AND a.valid_from <= now() AND (a.valid_to IS NULL OR a.valid_to > now())
       AND ST_Covers(a.geom, (SELECT pt FROM kel))
     ORDER BY a.priority DESC, a.area_m2 ASC, a.id
     LIMIT 1
)
SELECT (SELECT id FROM gen), kel.id, kel.kecamatan_id, kel.rule, (SELECT count(*)::integer FROM covering),
       kel.snapped, kel.depth, sa.id, COALESCE(sa.skpd_id, c.default_skpd_id),
       CASE WHEN sa.id IS NULL THEN 'category_default' ELSE 'service_area' END, sa.depth,
       array_remove(ARRAY[
           CASE WHEN kel.rule = 'overlap' THEN 'overlap' END,
           CASE WHEN kel.rule = 'snapped' THEN 'snapped' END,
           CASE WHEN kel.depth < p_near_border_m OR sa.depth < p_near_border_m THEN 'near_border' END
       ], NULL)
  FROM category c
  LEFT JOIN kel ON true
  LEFT JOIN sa ON true
 WHERE c.id = p_category_id
$fn$;
