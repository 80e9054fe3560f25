-- The same POST body on every request.
--   wrk ... -s post.lua URL -- <content-type> <body>
-- wrk.init calls init() before it formats the request once, so the
-- method, header and body set here go into every request.
function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = args[1]
  wrk.body = args[2]
end
