-- wrk script for the JSON body echo endpoint: POST the same small JSON document every time.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"name":"covet","tags":["fast","asgi"],"count":3,"nested":{"ratio":1.5,"ok":true}}'
