package lake

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// S3Config locates a lake in an S3 bucket. Credentials, and the endpoint
// and region when left empty, come from the standard AWS chain
// (AWS_ENDPOINT_URL_S3, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// shared config files, instance roles).
type S3Config struct {
	Bucket string
	Prefix string // key prefix of the lake inside the bucket, without slashes at the ends; may be empty
	// Endpoint overrides the S3 endpoint, e.g. "http://127.0.0.1:7070".
	Endpoint string
	// Region defaults to the chain's region, then "us-east-1".
	Region string
	// PathStyle addresses buckets as endpoint/bucket/key, as most
	// S3-compatible servers need (default virtual-hosted style).
	PathStyle bool
	// Credentials overrides the standard chain (tests use static keys).
	Credentials aws.CredentialsProvider
	// HTTPClient overrides the SDK's client (tests use an in-process server).
	HTTPClient *http.Client
}

// ParseS3URL splits "s3://bucket/prefix" into its bucket and prefix.
func ParseS3URL(raw string) (bucket, prefix string, err error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", fmt.Errorf("lake url %q: %w", raw, err)
	}
	if u.Scheme != "s3" || u.Host == "" {
		return "", "", fmt.Errorf("lake url %q: want s3://bucket/prefix", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", "", fmt.Errorf("lake url %q: query and fragment are not allowed", raw)
	}
	return u.Host, strings.Trim(u.Path, "/"), nil
}

// S3 is a Store in an S3 bucket. PutIfAbsent is a conditional PutObject
// (If-None-Match: *), so two writers racing for one key cannot both win.
type S3 struct {
	client    *s3.Client
	bucket    string
	prefix    string // "" or ending in "/"
	aws       aws.Config
	endpoint  string
	pathStyle bool
}

// NewS3 builds the client from cfg and the standard AWS configuration.
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("s3 lake: bucket is required")
	}
	var opts []func(*config.LoadOptions) error
	if cfg.Region != "" {
		opts = append(opts, config.WithRegion(cfg.Region))
	}
	if cfg.Credentials != nil {
		opts = append(opts, config.WithCredentialsProvider(cfg.Credentials))
	}
	if cfg.HTTPClient != nil {
		opts = append(opts, config.WithHTTPClient(cfg.HTTPClient))
	}
	// S3-compatible servers do not all speak the flexible checksums the SDK
	// sends by default; ask for them only where the API requires them.
	opts = append(opts,
		config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
		config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired))
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("s3 lake: load aws config: %w", err)
	}
	if awsCfg.Region == "" {
		awsCfg.Region = "us-east-1"
	}
	client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		o.UsePathStyle = cfg.PathStyle
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
	})
	p := strings.Trim(cfg.Prefix, "/")
	if p != "" {
		p += "/"
	}
	return &S3{client: client, bucket: cfg.Bucket, prefix: p, aws: awsCfg, endpoint: cfg.Endpoint, pathStyle: cfg.PathStyle}, nil
}

// AWSConfig is the configuration the client was built from (credentials,
// region, HTTP client), for other S3 clients of the same lake.
func (s *S3) AWSConfig() aws.Config { return s.aws }

// Endpoint is the configured endpoint override, "" for the standard chain's.
func (s *S3) Endpoint() string { return s.endpoint }

// PathStyle says whether buckets are addressed path-style.
func (s *S3) PathStyle() bool { return s.pathStyle }

func (s *S3) String() string { return "s3://" + s.bucket + "/" + strings.TrimSuffix(s.prefix, "/") }

// Bucket is the lake's bucket.
func (s *S3) Bucket() string { return s.bucket }

// Prefix is the lake's key prefix inside the bucket, "" or ending in "/".
func (s *S3) Prefix() string { return s.prefix }

// Client is the underlying S3 client.
func (s *S3) Client() *s3.Client { return s.client }

// conditionalConflict is S3's answer when another conditional write to the
// same key is in flight; the write is retried.
const conditionalConflict = "ConditionalRequestConflict"

// PutIfAbsent puts the object with If-None-Match: *; 412 Precondition
// Failed means it already exists.
func (s *S3) PutIfAbsent(ctx context.Context, key string, data []byte) (bool, error) {
	for attempt := 0; ; attempt++ {
		_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
			Bucket:        aws.String(s.bucket),
			Key:           aws.String(s.prefix + key),
			Body:          bytes.NewReader(data),
			ContentLength: aws.Int64(int64(len(data))),
			IfNoneMatch:   aws.String("*"),
		})
		if err == nil {
			return true, nil
		}
		if httpStatus(err) == http.StatusPreconditionFailed {
			return false, nil
		}
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == conditionalConflict && attempt < 5 {
			select {
			case <-ctx.Done():
				return false, fmt.Errorf("put %s: %w", key, ctx.Err())
			case <-time.After(time.Duration(attempt+1) * 50 * time.Millisecond):
			}
			continue
		}
		return false, fmt.Errorf("put %s: %w", key, err)
	}
}

// Get reads an object.
func (s *S3) Get(ctx context.Context, key string) ([]byte, error) {
	b, _, err := s.GetObject(ctx, key)
	return b, err
}

// GetObject reads an object and describes it (ETag, size, modification).
func (s *S3) GetObject(ctx context.Context, key string) ([]byte, ObjectInfo, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.prefix + key)})
	if err != nil {
		if httpStatus(err) == http.StatusNotFound {
			return nil, ObjectInfo{}, fmt.Errorf("get %s: %w", key, ErrNotFound)
		}
		return nil, ObjectInfo{}, fmt.Errorf("get %s: %w", key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, ObjectInfo{}, fmt.Errorf("get %s: %w", key, err)
	}
	info := ObjectInfo{Key: key, Size: int64(len(b)), ETag: aws.ToString(out.ETag)}
	if out.LastModified != nil {
		info.Modified = *out.LastModified
	}
	return b, info, nil
}

// List returns the keys under prefix, sorted.
func (s *S3) List(ctx context.Context, prefix string) ([]string, error) {
	return keysOf(s.Objects(ctx, prefix))
}

// Objects describes the objects under prefix, sorted by key.
func (s *S3) Objects(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	var out []ObjectInfo
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(s.prefix + prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", prefix, err)
		}
		for _, o := range page.Contents {
			info := ObjectInfo{Key: strings.TrimPrefix(aws.ToString(o.Key), s.prefix), Size: aws.ToInt64(o.Size), ETag: aws.ToString(o.ETag)}
			if o.LastModified != nil {
				info.Modified = *o.LastModified
			}
			out = append(out, info)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Delete removes an object; a missing one is not an error.
func (s *S3) Delete(ctx context.Context, key string) error {
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.prefix + key)})
	if err != nil && httpStatus(err) != http.StatusNotFound {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return nil
}

// URL is the s3:// name of a key, as ad-hoc SQL spells it.
func (s *S3) URL(key string) string { return "s3://" + path.Join(s.bucket, s.prefix+key) }

func httpStatus(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}
